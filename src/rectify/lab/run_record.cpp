#include "rectify/lab/run_record.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include <array>
#include <cmath>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <utility>

#include "rectify/io/atomic_file.hpp"

namespace rectify::lab {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::string_view kFormat = "rectify-lab-run-1";

std::uint32_t crc_of(std::uint32_t crc, const std::vector<std::uint8_t>& bytes) {
  // zlib counts in 32-bit uInt: at most 1 GiB per call.
  constexpr std::size_t kChunk = std::size_t{1} << 30;
  for (std::size_t at = 0; at < bytes.size(); at += kChunk) {
    const auto n = static_cast<uInt>(std::min(kChunk, bytes.size() - at));
    crc = static_cast<std::uint32_t>(::crc32(crc, bytes.data() + at, n));
  }
  return crc;
}

// A number that may be NaN or infinite: JSON has neither, so they are written as strings.
Json number(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  return x;
}

[[noreturn]] void fail(const std::string& what, const std::string& why) {
  throw RecordError(fmt::format("{}: {}", what, why));
}

const Json& member(const Json& j, const char* key, const std::string& what) {
  const auto it = j.find(key);
  if (it == j.end()) fail(what, fmt::format("no \"{}\"", key));
  return *it;
}

double read_number(const Json& j, const char* key, const std::string& what) {
  const Json& v = member(j, key, what);
  if (v.is_number()) return v.get<double>();
  if (v == "nan") return std::numeric_limits<double>::quiet_NaN();
  if (v == "inf") return std::numeric_limits<double>::infinity();
  if (v == "-inf") return -std::numeric_limits<double>::infinity();
  fail(what, fmt::format("\"{}\" is not a number: {}", key, v.dump()));
}

std::size_t read_count(const Json& j, const char* key, const std::string& what) {
  const Json& v = member(j, key, what);
  if (!v.is_number_unsigned()) fail(what, fmt::format("\"{}\" is not a count: {}", key, v.dump()));
  return v.get<std::size_t>();
}

std::string read_string(const Json& j, const char* key, const std::string& what) {
  const Json& v = member(j, key, what);
  if (!v.is_string()) fail(what, fmt::format("\"{}\" is not a string: {}", key, v.dump()));
  return v.get<std::string>();
}

// Epoch records and layer statistics are written by the trainer's own JSON line (metrics.hpp),
// so the fields have one definition. Values that are not finite go through as strings: the log
// line writes them as null, which would read back as NaN and lose an infinity.
// The figures of an epoch that may be NaN or infinite (val_*: when there is a validation set).
constexpr std::array<std::pair<const char*, double train::EpochMetrics::*>, 6> kFigures = {{
    {"train_loss", &train::EpochMetrics::train_loss},
    {"train_acc", &train::EpochMetrics::train_acc},
    {"test_loss", &train::EpochMetrics::test_loss},
    {"test_acc", &train::EpochMetrics::test_acc},
    {"val_loss", &train::EpochMetrics::val_loss},
    {"val_acc", &train::EpochMetrics::val_acc},
}};

Json epochs_json(const std::vector<train::EpochMetrics>& epochs) {
  Json a = Json::array();
  for (const auto& m : epochs) {
    Json e = Json::parse(train::to_json(m));
    for (const auto& [key, member] : kFigures) {
      if (e.contains(key)) e[key] = number(m.*member);
    }
    a.push_back(std::move(e));
  }
  return a;
}

std::vector<train::EpochMetrics> read_epochs(const Json& a, const std::string& what) {
  if (!a.is_array()) fail(what, "\"epochs\" is not an array");
  std::vector<train::EpochMetrics> epochs;
  for (Json e : a) {
    if (!e.is_object()) fail(what, "an entry of \"epochs\" is not an object");
    std::vector<std::pair<double train::EpochMetrics::*, double>> figures;
    for (const auto& [key, member] : kFigures) {
      if (!e.contains(key)) continue;  // the metrics parser says which are required
      figures.emplace_back(member, read_number(e, key, what));
      e[key] = 0.0;  // read above: the metrics parser takes only numbers
    }
    try {
      auto m = train::parse_metrics(e.dump());
      for (const auto& [member, value] : figures) m.*member = value;
      epochs.push_back(std::move(m));
    } catch (const train::MetricsFormatError& x) {
      fail(what, x.what());
    }
  }
  return epochs;
}

}  // namespace

DataIdentity identify(const data::FashionMnist& data) {
  std::uint32_t crc = static_cast<std::uint32_t>(::crc32(0, nullptr, 0));
  for (const auto* set : {&data.train, &data.test}) {
    crc = crc_of(crc, set->images);
    crc = crc_of(crc, set->labels);
  }
  return {.source = data.source,
          .train_count = data.train.count,
          .test_count = data.test.count,
          .crc32 = crc};
}

std::string to_json(const RunRecord& r) {
  Json j;
  j["format"] = kFormat;
  j["config"] = Json::parse(r.config);
  j["data"] = {{"source", r.data.source},
               {"train", r.data.train_count},
               {"test", r.data.test_count},
               {"crc32", r.data.crc32}};
  j["simd_target"] = r.simd_target;
  const auto& x = r.result;
  Json result;
  result["epochs"] = epochs_json(x.epochs);
  result["diverged"] = x.diverged;
  result["error"] = x.error;
  if (!x.at_init.empty()) {
    result["at_init"] = epochs_json({train::EpochMetrics{.layers = x.at_init}})[0]["layers"];
  }
  if (!x.histogram_start.empty()) {
    result["histogram_start"] = x.histogram_start;
    result["histogram_end"] = x.histogram_end;
  }
  result["forward_ns"] = number(x.forward_ns);
  result["backward_ns"] = number(x.backward_ns);
  result["seconds"] = number(x.seconds);
  j["result"] = std::move(result);
  return j.dump(1) + "\n";
}

RunRecord parse_record(std::string_view text, const std::string& what) {
  Json j;
  try {
    j = Json::parse(text);
  } catch (const Json::parse_error& e) {
    fail(what, fmt::format("not JSON ({})", e.what()));
  }
  if (!j.is_object() || j.value("format", "") != kFormat) {
    fail(what, fmt::format("not a record of rectify lab (no \"format\": \"{}\")", kFormat));
  }
  RunRecord r;
  const Json& config = member(j, "config", what);
  if (!config.is_object()) fail(what, "\"config\" is not an object");
  r.config = config.dump();
  const Json& data = member(j, "data", what);
  r.data.source = read_string(data, "source", what);
  r.data.train_count = read_count(data, "train", what);
  r.data.test_count = read_count(data, "test", what);
  const std::size_t crc = read_count(data, "crc32", what);
  if (crc > std::numeric_limits<std::uint32_t>::max()) fail(what, "\"crc32\" is out of range");
  r.data.crc32 = static_cast<std::uint32_t>(crc);
  r.simd_target = read_string(j, "simd_target", what);
  const Json& x = member(j, "result", what);
  r.result.epochs = read_epochs(member(x, "epochs", what), what);
  const Json& diverged = member(x, "diverged", what);
  if (!diverged.is_boolean()) fail(what, "\"diverged\" is not true or false");
  r.result.diverged = diverged.get<bool>();
  r.result.error = read_string(x, "error", what);
  if (const auto it = x.find("at_init"); it != x.end()) {
    Json wrapped = Json::array({{{"epoch", 0},
                                 {"train_loss", 0},
                                 {"train_acc", 0},
                                 {"test_loss", 0},
                                 {"test_acc", 0},
                                 {"layers", *it}}});
    r.result.at_init = read_epochs(wrapped, what)[0].layers;
  }
  for (const auto& [key, into] :
       {std::pair<const char*, std::vector<double>*>{"histogram_start", &r.result.histogram_start},
        {"histogram_end", &r.result.histogram_end}}) {
    const auto it = x.find(key);
    if (it == x.end()) continue;
    if (!it->is_array()) fail(what, fmt::format("\"{}\" is not an array", key));
    for (const auto& v : *it) {
      if (!v.is_number()) fail(what, fmt::format("\"{}\" holds {}", key, v.dump()));
      into->push_back(v.get<double>());
    }
  }
  r.result.forward_ns = read_number(x, "forward_ns", what);
  r.result.backward_ns = read_number(x, "backward_ns", what);
  r.result.seconds = read_number(x, "seconds", what);
  return r;
}

std::filesystem::path record_path(const std::filesystem::path& dir, std::string_view config) {
  std::uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a: stable across compilers and machines
  for (const char c : config) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ull;
  }
  return dir / fmt::format("{:016x}.json", h);
}

std::optional<RunRecord> RunFolder::find(std::string_view config, const DataIdentity* data) const {
  const auto path = record_path(dir_, config);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::nullopt;
  if (!std::filesystem::is_regular_file(path, ec)) fail(path.string(), "not a regular file");
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) fail(path.string(), "cannot be read");
  auto record = parse_record(text.str(), path.string());
  // Another configuration under the same hash, or another data set: not this job's record.
  if (record.config != config || (data != nullptr && !record.data.same_data(*data))) {
    return std::nullopt;
  }
  return record;
}

void RunFolder::store(const RunRecord& record) const {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) {
    throw io::FileError(
        fmt::format("{}: cannot create the folder: {}", dir_.string(), ec.message()));
  }
  // Unique temporary names: shards may share one folder.
  io::write_file_atomically(record_path(dir_, record.config), to_json(record),
                            {.unique_temp = true});
}

}  // namespace rectify::lab
