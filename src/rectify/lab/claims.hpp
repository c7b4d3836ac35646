// The seeds' claims about ReLU and its variants, each judged on the lab's own measurements:
// supported, not supported, or mixed on this data, with the numbers behind the verdict.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "rectify/lab/studies.hpp"

namespace rectify::lab {

enum class Verdict { supported, not_supported, mixed };
std::string_view verdict_name(Verdict v);  // "supported", "not supported", "mixed"

struct Claim {
  std::string statement;  // what the seeds say
  std::string source;     // which seed documents say it
  std::string study;      // the report section with the measurements
  Verdict verdict = Verdict::mixed;
  std::string evidence;  // the numbers, in one or two sentences
};

// Every claim, in a fixed order; the same list whatever the plan's size.
std::vector<Claim> judge_claims(const LabResults& results);

// A statement of the seeds the lab does not judge, and why.
struct Unjudged {
  std::string statement, source, reason;
};
std::vector<Unjudged> unjudged_statements();

}  // namespace rectify::lab
