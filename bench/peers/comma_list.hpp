// "a,b,,c" -> {"a", "b", "c"}: the peers' comma-separated arguments (--fns, --sizes).
#pragma once

#include <sstream>
#include <string>
#include <vector>

inline std::vector<std::string> Split(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  for (std::string item; std::getline(ss, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}
