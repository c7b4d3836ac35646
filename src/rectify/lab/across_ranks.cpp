#include "rectify/lab/across_ranks.hpp"

#include <fmt/format.h>
#include <array>
#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>

#include "rectify/lab/jobs.hpp"
#include "rectify/lab/run_record.hpp"

namespace rectify::lab {
namespace {

// This rank's finished records, as the texts of their files, in a JSON array.
std::string shard_records(const LabPlan& plan, const RunFolder& folder,
                          const DataIdentity& identity, std::size_t shard, std::size_t shards) {
  const auto jobs = plan_jobs(plan);
  const auto shard_of = shard_assignment(jobs, shards);
  nlohmann::json texts = nlohmann::json::array();
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    if (shard_of[i] != shard) continue;
    const auto record = folder.find(job_config(jobs[i]), &identity);
    if (!record) {
      throw std::runtime_error(
          fmt::format("lab: the record of '{}' is missing from {} after its run", jobs[i].label(),
                      folder.dir().string()));
    }
    texts.push_back(to_json(*record));
  }
  return texts.dump();
}

}  // namespace

LabResults run_lab_across(const LabPlan& plan, const data::FashionMnist& data,
                          const LabProgress& progress, LabRunOptions options, train::Team& team) {
  if (options.records.empty()) {
    throw std::invalid_argument("lab across ranks: a folder for the run records is needed");
  }
  const auto start = std::chrono::steady_clock::now();
  options.shard = static_cast<std::size_t>(team.rank()) + 1;
  options.shards = static_cast<std::size_t>(team.size());
  std::optional<LabInterrupted> stopped;
  LabResults mine;
  try {
    mine = run_lab(plan, data, progress, options);
  } catch (const LabInterrupted& e) {
    stopped = e;
  }
  // Every rank learns whether any was stopped, and the runs the ranks reused.
  std::array<double, 2> totals{stopped ? 1.0 : 0.0, static_cast<double>(mine.reused)};
  team.sum(totals);
  if (totals[0] > 0) throw stopped ? *stopped : LabInterrupted(mine.runs, mine.runs);

  const RunFolder folder(options.records);
  const DataIdentity identity = identify(data);
  auto texts =
      team.gather_to_root(shard_records(plan, folder, identity, options.shard, options.shards));
  if (team.rank() != 0) return mine;
  for (std::size_t rank = 0; rank < texts.size(); ++rank) {
    const auto what = fmt::format("the records of rank {}", rank);
    nlohmann::json list;
    try {
      list = nlohmann::json::parse(texts[rank]);
    } catch (const nlohmann::json::parse_error& e) {
      throw RecordError(fmt::format("{}: {}", what, e.what()));
    }
    for (const auto& text : list) {
      const RunRecord record = parse_record(text.get<std::string>(), what);
      if (!record.data.same_data(identity)) {
        throw RecordError(fmt::format("{}: from other data ({}); every rank needs the same data",
                                      what, record.data.source));
      }
      if (!folder.find(record.config, &identity)) folder.store(record);
    }
  }
  options.shard = options.shards = 1;
  LabResults all = run_lab(plan, data, {}, options);  // every run is there: none runs
  all.reused = static_cast<std::size_t>(totals[1]);
  all.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return all;
}

}  // namespace rectify::lab
