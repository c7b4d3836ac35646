// A finished job of the lab and the folder that keeps them: one JSON file per job under
// OUT/runs/, named by a hash of the job's configuration and holding that configuration, the
// data set it ran on (by content), the machine and the result. A lab that finds a job's record
// there does not run it again; shards write records and a merge reads them.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "rectify/data/dataset.hpp"
#include "rectify/diag/layer_stats.hpp"
#include "rectify/train/metrics.hpp"

namespace rectify::lab {

// The data set, by what it holds: two runs on the same images give the same identity
// wherever the files lie.
struct DataIdentity {
  std::string source;  // as loaded ("Fashion-MNIST sample (embedded)", a directory)
  std::size_t train_count = 0, test_count = 0;
  std::uint32_t crc32 = 0;  // of every image and label, train then test

  bool same_data(const DataIdentity& o) const {
    return train_count == o.train_count && test_count == o.test_count && crc32 == o.crc32;
  }
};

DataIdentity identify(const data::FashionMnist& data);

// What a job produced. A training run: its finished epochs (and whether it diverged, with the
// message); depth adds the diagnostics of the untrained model; cost: ns per element.
struct JobResult {
  std::vector<train::EpochMetrics> epochs;
  bool diverged = false;
  std::string error;
  std::vector<diag::LayerStats> at_init;
  double forward_ns = 0, backward_ns = 0;
  std::vector<double> histogram_start, histogram_end;  // compare jobs that keep them
  double seconds = 0;                                  // the job's wall time
};

struct RunRecord {
  std::string config;  // job_config(): the key
  DataIdentity data;
  std::string simd_target;
  JobResult result;
};

// A record file that cannot be used; the message names the file and the reason.
class RecordError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::string to_json(const RunRecord& record);
// RecordError (prefixed with `what`) for anything that is not a record to_json wrote.
RunRecord parse_record(std::string_view text, const std::string& what);

// The file a job's record lives in: DIR/<16 hex digits of a 64-bit FNV-1a hash of config>.json.
std::filesystem::path record_path(const std::filesystem::path& dir, std::string_view config);

// The records of one folder.
class RunFolder {
 public:
  explicit RunFolder(std::filesystem::path dir) : dir_(std::move(dir)) {}
  const std::filesystem::path& dir() const { return dir_; }

  // The record of `config` on `data`, if the folder holds one (a file of another configuration
  // or data set under the same name is none). RecordError for a file that is there but
  // unreadable or malformed.
  std::optional<RunRecord> find(std::string_view config, const DataIdentity* data) const;
  // Writes the record all at once (a crash leaves the old file or the new one); makes the folder
  // when it is missing. io::FileError when it cannot be written.
  void store(const RunRecord& record) const;

 private:
  std::filesystem::path dir_;
};

}  // namespace rectify::lab
