#include "rectify/lab/studies.hpp"

#include <fmt/format.h>
#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>

#include "rectify/act/registry.hpp"
#include "rectify/act/simd_target.hpp"
#include "rectify/act/threads.hpp"
#include "rectify/lab/jobs.hpp"
#include "rectify/lab/run_record.hpp"
#include "rectify/timing/eltwise_bench.hpp"

namespace rectify::lab {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string duration_text(double s) {
  if (s < 90) return fmt::format("{:.0f} s", s);
  if (s < 5400) return fmt::format("{:.0f} min", s / 60);
  return fmt::format("{:.1f} h", s / 3600);
}

// Counts the steps of the plan so progress can say "[ 3/40]", and estimates the time left from
// the wall time of the runs done so far (reused ones take none, and runs side by side share it),
// weighted by their epochs.
class Steps {
 public:
  Steps(const std::vector<const Job*>& jobs, const LabProgress& progress) : progress_(progress) {
    for (const auto* j : jobs) weight_left_ += j->weight();
    total_ = jobs.size();
  }
  void done(const Job& job, const std::string& what, double seconds, bool ran) {
    ++done_;
    weight_left_ -= job.weight();
    if (ran) {
      if (ran_weight_ == 0)
        first_ran_ = Clock::now() - std::chrono::duration_cast<Clock::duration>(
                                        std::chrono::duration<double>(seconds));
      ran_weight_ += job.weight();
    }
    if (!progress_) return;
    std::string when = ran ? fmt::format("{:.1f} s", seconds) : "reused";
    if (ran_weight_ > 0 && done_ < total_) {
      const double per_weight = seconds_since(first_ran_) / ran_weight_;
      when +=
          fmt::format("; about {} left", duration_text(per_weight * std::max(weight_left_, 0.0)));
    }
    progress_(fmt::format("[{:>3}/{}] {}: {} ({})", done_, total_, job.label(), what, when));
  }

 private:
  const LabProgress& progress_;
  std::size_t total_ = 0, done_ = 0;
  double weight_left_ = 0, ran_weight_ = 0;
  Clock::time_point first_ran_;  // when the first run that ran began
};

// Trains, keeping every finished epoch; a run that diverges keeps the epochs before it.
// train::Interrupted goes through: the lab stops.
void train_into(JobResult& x, const train::TrainOptions& o, const data::FashionMnist& data,
                const std::function<bool()>& stop) {
  try {
    train::train(
        o, data, {}, [&](const train::EpochMetrics& m) { x.epochs.push_back(m); }, stop);
  } catch (const train::DivergedError& e) {
    x.diverged = true;
    x.error = e.what();
  }
}

// The fraction of `z` in each bin of the lab's histograms.
std::vector<double> histogram(const std::vector<float>& z) {
  std::vector<double> h(kHistogramBins, 0.0);
  for (const float v : z) {
    const double at = std::floor((double(v) - kHistogramLow) / kHistogramWidth);
    const auto bin = static_cast<std::size_t>(
        std::clamp(std::isnan(at) ? 0.0 : at, 0.0, static_cast<double>(kHistogramBins - 1)));
    h[bin] += 1.0 / static_cast<double>(z.size());
  }
  return h;
}

// Trains like train_into, keeping histograms of the hidden pre-activations over 1000 test images
// before and after: the trained weights come back through a checkpoint in a temporary file.
void train_with_histograms(JobResult& x, const Job& job, const data::FashionMnist& data,
                           const std::function<bool()>& stop) {
  constexpr std::size_t kImages = 1000;
  auto o = job.options;
  x.histogram_start = histogram(train::first_layer_preactivations(o, data.test, kImages));
  static std::atomic<int> count{0};
  const auto path = std::filesystem::temp_directory_path() /
                    fmt::format("rectify-lab-{}-{}.safetensors", ::getpid(), count++);
  o.save = path.string();
  struct Remove {
    std::filesystem::path p;
    ~Remove() {
      std::error_code ec;
      std::filesystem::remove(p, ec);
    }
  } remove{path};
  train_into(x, o, data, stop);
  if (!x.diverged) {
    x.histogram_end = histogram(train::first_layer_preactivations(o, data.test, kImages, path));
  } else {
    x.histogram_start.clear();
  }
}

JobResult execute(const Job& job, const data::FashionMnist& data,
                  const std::function<bool()>& stop) {
  const auto start = Clock::now();
  JobResult x;
  switch (job.study) {
    case Study::compare:
      if (job.histogram) {
        train_with_histograms(x, job, data, stop);
        break;
      }
      [[fallthrough]];
    case Study::dying_lr:
    case Study::dying_bias:
    case Study::cnn:
    case Study::rnn:
      train_into(x, job.options, data, stop);
      break;
    case Study::depth:
    case Study::init:
      // Per layer of a deep MLP, untrained and after training: gradient norms, outputs.
      x.at_init = train::probe_untrained(job.options, data.train, job.probe_batches);
      train_into(x, job.options, data, stop);
      break;
    case Study::cost: {
      // The kernels themselves, one thread, in cache.
      const timing::Options bench{.min_seconds = job.bench_seconds, .repetitions = 3};
      const auto act = Activation::parse(job.options.activation);
      constexpr std::size_t kSize = 65536;
      x.forward_ns =
          1e9 * timing::run({act, timing::Pass::forward, kSize, 1}, bench).seconds / kSize;
      if (timing::supports(act, timing::Pass::backward)) {
        x.backward_ns =
            1e9 * timing::run({act, timing::Pass::backward, kSize, 1}, bench).seconds / kSize;
      }
      break;
    }
  }
  x.seconds = seconds_since(start);
  return x;
}

std::string summary(const Job& job, const JobResult& x) {
  if (job.study == Study::cost) {
    return fmt::format("{:.3f} ns per element forward", x.forward_ns);
  }
  if (x.epochs.empty()) return "diverged in the first epoch";
  const auto& last = x.epochs.back();
  std::string s = fmt::format("test acc {:.3f} after {} epochs", last.test_acc, last.epoch);
  if (job.study == Study::depth || job.study == Study::init) {
    s += fmt::format(", {} layers probed", last.layers.size());
  } else if (!last.layers.empty()) {
    s += fmt::format(", {} of {} units dead", last.layers[0].dead, last.layers[0].units);
  }
  return x.diverged ? s + " (then diverged)" : s;
}

Run run_of(const Job& job, const JobResult& x) {
  const auto& o = job.options;
  return Run{.activation = o.activation,
             .histogram_start = x.histogram_start,
             .histogram_end = x.histogram_end,
             .seed = o.seed,
             .optimizer = o.optimizer,
             .lr = o.lr,
             .hidden_bias = o.hidden_bias,
             .epochs = x.epochs,
             .diverged = x.diverged,
             .error = x.error};
}

// The plan's results from one record per job (in plan order): the same function for a lab that
// ran every job and one that merged shards, so both see the same numbers.
LabResults assemble(const LabPlan& plan, const std::vector<Job>& jobs,
                    const std::vector<RunRecord>& records) {
  LabResults r{.plan = plan, .threads = plan.threads};
  std::set<std::string> targets;
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    const Job& job = jobs[i];
    const JobResult& x = records[i].result;
    targets.insert(records[i].simd_target);
    r.seconds += x.seconds;
    switch (job.study) {
      case Study::compare:
        r.comparison.push_back(run_of(job, x));
        break;
      case Study::dying_lr:
        r.dying_lr.push_back(run_of(job, x));
        break;
      case Study::dying_bias:
        r.dying_bias.push_back(run_of(job, x));
        break;
      case Study::depth:
        r.depth.push_back(DepthRun{
            .activation = job.options.activation, .at_init = x.at_init, .training = x.epochs});
        break;
      case Study::cnn:
        r.cnn.push_back(run_of(job, x));
        break;
      case Study::rnn:
        r.rnn.push_back(run_of(job, x));
        r.rnn.back().setting = job.init_label;
        break;
      case Study::init:
        r.init.push_back(InitRun{.activation = job.options.activation,
                                 .init_label = job.init_label,
                                 .seed = job.options.seed,
                                 .at_init = x.at_init,
                                 .training = x.epochs,
                                 .diverged = x.diverged});
        break;
      case Study::cost:
        r.cost.push_back(CostRow{.activation = job.options.activation,
                                 .forward_ns = x.forward_ns,
                                 .backward_ns = x.backward_ns});
        break;
    }
  }
  if (!records.empty()) {
    r.data_source = records.front().data.source;
    r.train_count = records.front().data.train_count;
    r.test_count = records.front().data.test_count;
  }
  r.simd_target = fmt::format("{}", fmt::join(targets, ", "));
  if (r.simd_target.empty()) r.simd_target = simd::current_target();
  return r;
}

}  // namespace

StudySet parse_studies(const std::string& list) {
  StudySet s{.compare = false,
             .dying = false,
             .depth = false,
             .init = false,
             .cnn = false,
             .rnn = false,
             .cost = false};
  std::size_t at = 0;
  while (at <= list.size()) {
    const auto comma = std::min(list.find(',', at), list.size());
    const std::string name = list.substr(at, comma - at);
    bool* flag = name == "compare" ? &s.compare
                 : name == "dying" ? &s.dying
                 : name == "depth" ? &s.depth
                 : name == "init"  ? &s.init
                 : name == "cnn"   ? &s.cnn
                 : name == "rnn"   ? &s.rnn
                 : name == "cost"  ? &s.cost
                                   : nullptr;
    if (flag == nullptr) {
      throw std::invalid_argument(fmt::format(
          "unknown study '{}'; known: compare, dying, depth, init, cnn, rnn, cost", name));
    }
    *flag = true;
    at = comma + 1;
  }
  return s;
}

std::string to_string(const StudySet& s) {
  std::vector<std::string> names;
  if (s.compare) names.emplace_back("compare");
  if (s.dying) names.emplace_back("dying");
  if (s.depth) names.emplace_back("depth");
  if (s.init) names.emplace_back("init");
  if (s.cnn) names.emplace_back("cnn");
  if (s.rnn) names.emplace_back("rnn");
  if (s.cost) names.emplace_back("cost");
  return fmt::format("{}", fmt::join(names, ","));
}

LabInterrupted::LabInterrupted(std::size_t finished_jobs, std::size_t total_jobs)
    : std::runtime_error(fmt::format("interrupted after {} of {} runs", finished_jobs, total_jobs)),
      finished(finished_jobs),
      total(total_jobs) {}

int default_jobs() {
  return std::max(1, omp_get_num_procs());
}

LabPlan make_plan(const std::string& size) {
  LabPlan p;
  p.size = size;
  p.dying_activations = {"relu", "leaky_relu", "elu", "prelu"};
  p.depth_activations = {"relu", "leaky_relu", "elu", "selu", "tanh", "sigmoid"};
  // relu6's cap as the contrast to relu's unbounded output; weights 3x He's as too large.
  p.init_activations = {"relu", "relu6"};
  p.cnn_activations = {"relu", "leaky_relu", "elu", "tanh"};
  p.histogram_activations = {"relu", "leaky_relu", "elu", "relu6", "tanh", "sigmoid"};
  p.rnn_settings = {{"identity, clipped", true, 1.0},
                    {"identity", true, 0.0},
                    {"uniform, clipped", false, 1.0},
                    {"uniform", false, 0.0}};
  p.init_settings = {
      {"He", "he_normal", 1}, {"Glorot", "glorot_uniform", 1}, {"He x3", "he_normal", 3}};
  const std::vector<std::string> seeds_functions = {"relu", "leaky_relu", "prelu",    "elu",
                                                    "selu", "celu",       "relu6",    "crelu",
                                                    "tanh", "sigmoid",    "gelu_erf", "silu"};
  std::vector<std::string> every_function;
  for (const auto& f : registry()) every_function.emplace_back(f.name);
  if (size == "quick") {
    // Five seeds even here: fewer can never reach p < 0.05 in a one-sided sign test.
    p.activations = every_function;
    p.seeds = {1, 2, 3, 4, 5};
    p.epochs = 3;
    p.rates = {{"sgd", 0.01}, {"sgd", 0.1}, {"adam", 0.001}};
    p.dying_seeds = {1, 2, 3, 4, 5};
    p.dying_lrs = {0.01, 0.5};
    p.dying_biases = {0, -3};
    p.dying_epochs = 3;
    p.depth_probe_batches = 5;
    p.model_images = 2000;
    p.bench_seconds = 0.002;
  } else if (size == "standard") {
    p.activations = seeds_functions;
    p.seeds = {1, 2, 3, 4, 5};
    p.epochs = 3;
    p.rates = {{"sgd", 0.003},   {"sgd", 0.01},   {"sgd", 0.03},
               {"adam", 0.0003}, {"adam", 0.001}, {"adam", 0.003}};
    p.dying_seeds = {1, 2, 3, 4, 5};
    p.dying_lrs = {0.01, 0.1, 0.5};
    p.dying_biases = {0, -1, -3};
    p.dying_epochs = 3;
  } else if (size == "full") {
    p.activations = every_function;
    p.seeds = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    p.epochs = 10;
    p.rates = {{"sgd", 0.003},   {"sgd", 0.01},    {"sgd", 0.03},   {"sgd", 0.1},   {"sgd", 0.3},
               {"adam", 0.0001}, {"adam", 0.0003}, {"adam", 0.001}, {"adam", 0.003}};
    p.dying_seeds = {1, 2, 3, 4, 5};
    p.dying_lrs = {0.003, 0.01, 0.03, 0.1, 0.3, 0.5};
    p.dying_biases = {0, -0.5, -1, -2, -3};
    p.dying_epochs = 10;
    p.depth_epochs = 3;
    p.model_images = 0;  // all
    p.model_epochs = 2;
    p.bench_seconds = 0.02;
  } else {
    throw std::invalid_argument(
        fmt::format("unknown lab size '{}'; known: quick, standard, full", size));
  }
  return p;
}

LabResults run_lab(const LabPlan& plan, const data::FashionMnist& data, const LabProgress& progress,
                   const LabRunOptions& options) {
  if (options.shards < 1 || options.shard < 1 || options.shard > options.shards) {
    throw std::invalid_argument(
        fmt::format("shard {}/{}: expected 1 <= I <= N", options.shard, options.shards));
  }
  const auto start = Clock::now();
  if (plan.threads > 0) set_num_threads(plan.threads);
  const auto jobs = plan_jobs(plan);
  std::vector<const Job*> mine;
  const auto shard_of = shard_assignment(jobs, options.shards);
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    if (shard_of[i] == options.shard) mine.push_back(&jobs[i]);
  }
  const DataIdentity identity = identify(data);
  const std::optional<RunFolder> folder =
      options.records.empty() ? std::nullopt : std::optional<RunFolder>(options.records);
  // The comparison trains on the training images less its validation images.
  std::optional<data::FashionMnist> held_out;
  if (plan.studies.compare && plan.validation > 0) {
    held_out = data::hold_out(data, validation_images(plan.validation, data.train.count));
  }
  // The CNN and RNN studies train on the first images only.
  std::optional<data::FashionMnist> first_images;
  if ((plan.studies.cnn || plan.studies.rnn) && plan.model_images > 0) {
    first_images = data::first_training_images(data, plan.model_images);
  }

  // Records already there are reused; the rest run, training runs `plan.jobs` at a time (on
  // OpenMP's threads: a run inside the parallel region keeps its kernels on its own thread),
  // then the cost measurements alone, so nothing else runs while they are timed.
  Steps steps(mine, progress);
  std::vector<std::optional<RunRecord>> records(mine.size());
  std::vector<std::size_t> parallel, alone;
  std::size_t reused = 0;
  for (std::size_t k = 0; k < mine.size(); ++k) {
    if (folder) {
      try {
        records[k] = folder->find(job_config(*mine[k]), &identity);
      } catch (const RecordError& e) {
        if (progress) progress(fmt::format("{}; running it again", e.what()));
      }
    }
    if (records[k]) {
      ++reused;
      steps.done(*mine[k], summary(*mine[k], records[k]->result), records[k]->result.seconds,
                 false);
    } else {
      (mine[k]->study == Study::cost ? alone : parallel).push_back(k);
    }
  }
  std::atomic<bool> interrupted{false}, failed{false};
  std::mutex progress_mutex;  // progress lines, records and the first error
  std::exception_ptr error;
  const auto stop = [&] {
    if (options.stop && options.stop()) interrupted = true;
    return interrupted.load() || failed.load();
  };
  const auto run_one = [&](std::size_t k) {
    if (stop()) return;
    const Job& job = *mine[k];
    try {
      const auto& job_data = job.validation > 0     ? *held_out
                             : job.train_images > 0 ? *first_images
                                                    : data;
      RunRecord record{.config = job_config(job),
                       .data = identity,
                       .simd_target = simd::current_target(),
                       .result = execute(job, job_data, stop)};
      if (folder) folder->store(record);
      // Read back as a stored record is, so this lab and a merge see the same numbers.
      record = parse_record(to_json(record), job.label());
      const std::lock_guard<std::mutex> lock(progress_mutex);
      steps.done(job, summary(job, record.result), record.result.seconds, true);
      records[k] = std::move(record);
    } catch (const train::Interrupted&) {
      interrupted = true;
    } catch (...) {
      const std::lock_guard<std::mutex> lock(progress_mutex);
      if (!error) error = std::current_exception();
      failed = true;
    }
  };
  // Each thread takes the next run as it frees up, the longest first (runs differ in length by 40
  // times: a long one started last would keep one thread busy alone at the end).
  std::stable_sort(parallel.begin(), parallel.end(), [&mine](std::size_t a, std::size_t b) {
    return mine[a]->weight() > mine[b]->weight();
  });
  const int workers = std::max(1, plan.jobs);
  std::atomic<std::size_t> next{0};
#pragma omp parallel num_threads(workers) if (workers > 1)
  for (std::size_t i = next++; i < parallel.size(); i = next++) run_one(parallel[i]);
  for (const std::size_t k : alone) run_one(k);
  if (error) std::rethrow_exception(error);
  if (interrupted) {
    const auto finished = static_cast<std::size_t>(
        std::count_if(records.begin(), records.end(), [](const auto& r) { return r.has_value(); }));
    throw LabInterrupted(finished, mine.size());
  }

  std::vector<RunRecord> finished;
  for (auto& record : records) finished.push_back(std::move(*record));
  LabResults r;
  if (options.shards == 1) {
    r = assemble(plan, jobs, finished);
  } else {
    r = LabResults{.plan = plan, .data_source = data.source};
    for (const auto& rec : finished) r.seconds += rec.result.seconds;
  }
  r.runs = mine.size();
  r.reused = reused;
  r.wall_seconds = seconds_since(start);
  return r;
}

LabResults merge_lab(const LabPlan& plan, const std::vector<std::filesystem::path>& folders,
                     const std::filesystem::path& records_dir, const LabProgress& progress) {
  if (folders.empty()) throw std::invalid_argument("merge: no folder of runs given");
  const auto start = Clock::now();
  const auto jobs = plan_jobs(plan);
  std::vector<RunRecord> records;
  std::vector<std::string> missing;
  const auto shard_of = shard_assignment(jobs, folders.size());
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    const std::string config = job_config(jobs[i]);
    std::optional<RunRecord> found;
    for (const auto& dir : folders) {
      if ((found = RunFolder(dir).find(config, nullptr))) break;
    }
    if (!found) {
      missing.push_back(fmt::format("'{}' (run {} of the plan: shard {} of {})", jobs[i].label(),
                                    i + 1, shard_of[i], folders.size()));
      continue;
    }
    if (!records.empty() && !found->data.same_data(records.front().data)) {
      throw std::runtime_error(fmt::format(
          "the runs come from different data sets: '{}' ran on {} ({} training images), '{}' on "
          "{} ({}); run every shard on the same data",
          jobs.front().label(), records.front().data.source, records.front().data.train_count,
          jobs[i].label(), found->data.source, found->data.train_count));
    }
    records.push_back(std::move(*found));
  }
  if (!missing.empty()) {
    const std::size_t shown = std::min<std::size_t>(missing.size(), 5);
    throw std::runtime_error(fmt::format(
        "{} of the plan's {} runs are in none of the folders, e.g. {}; run the shards that hold "
        "them (with the same plan options and --threads) and merge again",
        missing.size(), jobs.size(),
        fmt::join(missing.begin(), missing.begin() + static_cast<std::ptrdiff_t>(shown), ", ")));
  }
  if (!records_dir.empty()) {
    const RunFolder out(records_dir);
    for (const auto& record : records) {
      if (!out.find(record.config, &record.data)) out.store(record);
    }
  }
  if (progress) {
    progress(fmt::format("merged {} runs from {} folder(s)", records.size(), folders.size()));
  }
  auto r = assemble(plan, jobs, records);
  r.runs = r.reused = records.size();
  r.wall_seconds = seconds_since(start);
  return r;
}

}  // namespace rectify::lab
