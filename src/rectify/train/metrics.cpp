#include "rectify/train/metrics.hpp"

#include <fmt/format.h>
#include <cmath>
#include <cstddef>
#include <limits>
#include <nlohmann/json.hpp>
#include <type_traits>

namespace rectify::train {
namespace {

// optional: may be absent from a line; validation: written only when there was a validation set;
// team: only when several ranks trained.
enum class Need { required, optional, validation, team };

// The record's fields in the order of a line: to_json writes every one, parse_metrics reads
// every one. `field(key, member, need)`; M is EpochMetrics or const EpochMetrics.
template <class M, class Field>
void epoch_fields(M& m, const Field& field) {
  field("epoch", m.epoch, Need::required);
  field("train_loss", m.train_loss, Need::required);
  field("train_acc", m.train_acc, Need::required);
  field("test_loss", m.test_loss, Need::required);
  field("test_acc", m.test_acc, Need::required);
  field("val_loss", m.val_loss, Need::validation);
  field("val_acc", m.val_acc, Need::validation);
  field("seconds", m.seconds, Need::optional);
  field("images_per_s", m.images_per_s, Need::optional);
  field("ranks", m.ranks, Need::team);
  field("comm_wait_seconds", m.comm_wait_seconds, Need::team);
  field("comm_bytes_per_step", m.comm_bytes_per_step, Need::team);
}

// The same for an entry of "layers"; `derived(key, value)` is written, never read.
template <class L, class Field, class Derived>
void layer_fields(L& l, const Field& field, const Derived& derived) {
  field("name", l.layer, Need::required);
  field("units", l.units, Need::required);
  field("dead", l.dead, Need::required);
  derived("dead_fraction", l.dead_fraction());
  field("died", l.died, Need::optional);
  field("revived", l.revived, Need::optional);
  field("sparsity", l.sparsity, Need::required);
  field("mean", l.mean, Need::optional);
  field("std", l.stddev, Need::optional);
  field("grad_norm", l.grad_norm, Need::optional);
}

[[noreturn]] void fail(const std::string& what) {
  throw MetricsFormatError(what);
}

// Reads object[key] into value; `where` follows the key in messages (" in layer \"fc1\"").
template <class T>
void read(const nlohmann::json& object, const char* key, T& value, Need need,
          const std::string& where) {
  const auto it = object.find(key);
  if (it == object.end()) {
    if (need == Need::required) fail(fmt::format("no \"{}\"{}", key, where));
    return;
  }
  if constexpr (std::is_same_v<T, std::string>) {
    if (!it->is_string()) fail(fmt::format("\"{}\"{} is not a string: {}", key, where, it->dump()));
    value = it->template get<std::string>();
  } else if constexpr (std::is_floating_point_v<T>) {
    if (it->is_null()) {  // how the log writes NaN and infinities
      value = std::numeric_limits<T>::quiet_NaN();
      return;
    }
    if (!it->is_number()) fail(fmt::format("\"{}\"{} is not a number: {}", key, where, it->dump()));
    value = it->template get<T>();
  } else {
    const bool fits = it->is_number_integer() &&
                      (it->is_number_unsigned()
                           ? it->template get<std::uint64_t>() <=
                                 static_cast<std::uint64_t>(std::numeric_limits<T>::max())
                           : it->template get<std::int64_t>() >= 0 &&
                                 it->template get<std::int64_t>() <=
                                     static_cast<std::int64_t>(std::numeric_limits<T>::max()));
    if (!fits) {
      fail(fmt::format("\"{}\"{} is not a count: {}", key, where, it->dump()));
    }
    value = it->template get<T>();
  }
}

}  // namespace

std::string to_json(const EpochMetrics& m) {
  nlohmann::ordered_json j;
  const auto write = [](nlohmann::ordered_json& object) {
    return [&object](const char* key, const auto& value, Need) { object[key] = value; };
  };
  const bool validation = !std::isnan(m.val_acc);
  epoch_fields(m, [&](const char* key, const auto& value, Need need) {
    if ((need != Need::validation || validation) && (need != Need::team || m.ranks > 1)) {
      j[key] = value;
    }
  });
  for (const auto& l : m.layers) {
    nlohmann::ordered_json layer;
    layer_fields(l, write(layer), [&layer](const char* key, double value) { layer[key] = value; });
    j["layers"].push_back(std::move(layer));
  }
  return j.dump();
}

EpochMetrics parse_metrics(std::string_view line) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(line);
  } catch (const nlohmann::json::parse_error& e) {
    fail(fmt::format("not a JSON line of rectify train --json-log ({})", e.what()));
  }
  if (!j.is_object()) fail("not a JSON object");
  EpochMetrics m;
  epoch_fields(m, [&j](const char* key, auto& value, Need need) { read(j, key, value, need, ""); });
  if (const auto it = j.find("layers"); it != j.end()) {
    if (!it->is_array()) fail("\"layers\" is not an array");
    for (const auto& entry : *it) {
      if (!entry.is_object() || !entry.contains("name") || !entry["name"].is_string()) {
        fail("an entry of \"layers\" has no \"name\"");
      }
      const auto where = fmt::format(" in layer \"{}\"", entry["name"].get<std::string>());
      diag::LayerStats l;
      layer_fields(
          l, [&](const char* key, auto& value, Need need) { read(entry, key, value, need, where); },
          [](const char*, double) {});
      m.layers.push_back(std::move(l));
    }
  }
  return m;
}

}  // namespace rectify::train
