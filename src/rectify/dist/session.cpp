// MPI ranks as a Team. Every exchange is point to point with each peer (MPI_Isend / MPI_Irecv),
// so that a wait that outlasts the timeout knows which ranks sent nothing and can name them; a
// sum of floats is a reduce-scatter (each rank sums one chunk, in rank order) followed by an
// all-gather: 2 (N - 1) / N of the values sent per rank, as a ring all-reduce sends.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <mpi.h>
#include <sched.h>
#include <algorithm>
#include <chrono>
#include <climits>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "rectify/dist/session.hpp"

namespace rectify::dist {
namespace {

using Clock = std::chrono::steady_clock;

void check(int status, const char* call) {
  if (status != MPI_SUCCESS) throw std::runtime_error(fmt::format("{} failed ({})", call, status));
}

int count_of(std::size_t n) {
  if (n > static_cast<std::size_t>(INT_MAX)) {
    throw std::invalid_argument(fmt::format("an MPI message of {} elements is too long", n));
  }
  return static_cast<int>(n);
}

// The requests of one exchange, each marked with its peer and whether it receives from it.
struct Requests {
  struct Peer {
    int rank;
    bool receive;
  };
  std::vector<MPI_Request> requests;
  std::vector<Peer> peers;

  void receive(void* data, std::size_t n, MPI_Datatype type, int peer, int tag, MPI_Comm comm) {
    requests.emplace_back();
    peers.push_back({peer, true});
    check(MPI_Irecv(data, count_of(n), type, peer, tag, comm, &requests.back()), "MPI_Irecv");
  }
  void send(const void* data, std::size_t n, MPI_Datatype type, int peer, int tag, MPI_Comm comm) {
    requests.emplace_back();
    peers.push_back({peer, false});
    check(MPI_Isend(data, count_of(n), type, peer, tag, comm, &requests.back()), "MPI_Isend");
  }
  // True when every request is done; never blocks.
  bool test() {
    if (requests.empty()) return true;
    int done = 0;
    check(
        MPI_Testall(static_cast<int>(requests.size()), requests.data(), &done, MPI_STATUSES_IGNORE),
        "MPI_Testall");
    return done != 0;
  }
  // The peers that hold the exchange up: those whose message has not arrived, else those that
  // have not taken ours (a large send waits for its receiver). Each request is tested on its own:
  // MPI_Testall leaves every request as it was while one is still open.
  struct Missing {
    std::vector<int> ranks;
    const char* what;
  };
  Missing missing() {
    Missing sent{{}, "sent"}, took{{}, "took"};
    for (std::size_t i = 0; i < requests.size(); ++i) {
      int done = 0;
      if (MPI_Test(&requests[i], &done, MPI_STATUS_IGNORE) == MPI_SUCCESS && !done) {
        (peers[i].receive ? sent : took).ranks.push_back(peers[i].rank);
      }
    }
    return sent.ranks.empty() ? took : sent;
  }
};

class MpiTeam;

// Waits for `requests`, spinning (a rank has its own cores), then yielding; past `timeout`
// seconds a TeamError names the ranks that sent nothing.
void wait_for(Requests& requests, double timeout, const char* what, double& waited) {
  const auto start = Clock::now();
  for (int spins = 0; !requests.test(); ++spins) {
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (timeout > 0 && seconds > timeout) {
      const auto late = requests.missing();
      if (late.ranks.empty()) continue;  // everything arrived just now
      throw train::TeamError(fmt::format(
          "rank{} {} {} nothing for {:g} s ({}): hung or gone; stopping every rank",
          late.ranks.size() > 1 ? "s" : "", fmt::join(late.ranks, ", "), late.what, timeout, what));
    }
    if (spins > 1000) sched_yield();
  }
  waited += std::chrono::duration<double>(Clock::now() - start).count();
}

class MpiTeam final : public train::Team {
 public:
  MpiTeam(MPI_Comm comm, double timeout) : comm_(comm), timeout_(timeout) {
    check(MPI_Comm_rank(comm, &rank_), "MPI_Comm_rank");
    check(MPI_Comm_size(comm, &size_), "MPI_Comm_size");
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }

  void broadcast(std::span<std::uint8_t> bytes) override {
    Requests r;
    const int tag = next_tag();
    if (rank_ == 0) {
      for (int p = 1; p < size_; ++p) send(r, bytes.data(), bytes.size(), MPI_BYTE, p, tag);
    } else {
      r.receive(bytes.data(), bytes.size(), MPI_BYTE, 0, tag, comm_);
    }
    wait(r, "a broadcast from rank 0");
  }

  std::vector<std::uint8_t> broadcast_from_root(std::vector<std::uint8_t> bytes) override {
    std::uint64_t n = bytes.size();
    broadcast(std::span(reinterpret_cast<std::uint8_t*>(&n), sizeof n));
    bytes.resize(n);
    broadcast(bytes);
    return bytes;
  }

  // Every rank sends its values to every other and adds them all in rank order: for the few
  // numbers of a step's loss or a probe's epoch, where one message beats two rounds.
  void sum(std::span<double> values) override {
    const std::size_t n = values.size();
    gathered_.resize(n * static_cast<std::size_t>(size_));
    std::copy(values.begin(), values.end(), gathered_.begin() + static_cast<long>(n) * rank_);
    Requests r;
    const int tag = next_tag();
    for (int p = 0; p < size_; ++p) {
      if (p == rank_) continue;
      r.receive(gathered_.data() + n * static_cast<std::size_t>(p), n, MPI_DOUBLE, p, tag, comm_);
      send(r, values.data(), n, MPI_DOUBLE, p, tag);
    }
    wait(r, "a sum of the step's numbers");
    for (std::size_t i = 0; i < n; ++i) {
      double total = gathered_[i];
      for (int p = 1; p < size_; ++p) total += gathered_[n * static_cast<std::size_t>(p) + i];
      values[i] = total;
    }
  }

  std::unique_ptr<train::PendingSum> start_sum(std::span<const float> values,
                                               std::span<float> sums) override;

  std::vector<std::string> gather_to_root(std::string text) override {
    std::vector<std::string> all;
    const int tag = next_tag();
    if (rank_ != 0) {
      std::uint64_t n = text.size();
      Requests r;
      send(r, &n, 1, MPI_UINT64_T, 0, tag);
      send(r, text.data(), text.size(), MPI_CHAR, 0, tag + 1);
      wait(r, "a gather", 0);
      return all;
    }
    all.push_back(std::move(text));
    for (int p = 1; p < size_; ++p) {
      std::uint64_t n = 0;
      Requests size_request;
      size_request.receive(&n, 1, MPI_UINT64_T, p, tag, comm_);
      wait(size_request, "a gather", 0);  // the ranks finish their share when they do
      std::string s(n, '\0');
      Requests r;
      r.receive(s.data(), n, MPI_CHAR, p, tag + 1, comm_);
      wait(r, "a gather");
      all.push_back(std::move(s));
    }
    return all;
  }

  // Every rank takes the same tags in the same order: one pair per exchange, so that messages of
  // exchanges under way at once (the buckets of a step) never match each other's receives.
  int next_tag() {
    tag_ = tag_ + 2 > 30000 ? 0 : tag_ + 2;
    return tag_;
  }
  void send(Requests& r, const void* data, std::size_t n, MPI_Datatype type, int peer, int tag) {
    int bytes = 0;
    MPI_Type_size(type, &bytes);
    counters_.bytes_sent += n * static_cast<std::uint64_t>(bytes);
    ++counters_.messages;
    r.send(data, n, type, peer, tag, comm_);
  }
  void wait(Requests& r, const char* what) { wait(r, what, timeout_); }
  void wait(Requests& r, const char* what, double timeout) {
    wait_for(r, timeout, what, counters_.wait_seconds);
  }
  MPI_Comm comm() const { return comm_; }

  // Receive buffers outlive the sums that use them: a step's buckets take the same ones again
  // (a fresh 100 KB allocation is fresh pages, faulted in on every step).
  std::vector<float> take_buffer() {
    if (free_buffers_.empty()) return {};
    auto b = std::move(free_buffers_.back());
    free_buffers_.pop_back();
    return b;
  }
  void give_back(std::vector<float> buffer) { free_buffers_.push_back(std::move(buffer)); }

 private:
  std::vector<std::vector<float>> free_buffers_;
  MPI_Comm comm_;
  double timeout_;
  int rank_ = 0, size_ = 1, tag_ = 0;
  std::vector<double> gathered_;
};

// A float sum in two rounds: each rank receives every rank's copy of its own chunk and adds them
// in rank order into its chunk of the sums, then sends that to every rank, which receives it in
// place. On two ranks, one round: each sends all its values to the other, receives the other's
// into the sums and adds x_0 + x_1 there (the same bytes sent, one wait fewer).
class MpiPendingSum final : public train::PendingSum {
 public:
  MpiPendingSum(MpiTeam& team, std::span<const float> values, std::span<float> sums)
      : team_(team), values_(values), sums_(sums), tag_(team.next_tag()) {
    const int n = team.size(), me = team.rank();
    if (n == 2) {
      round_.receive(sums.data(), sums.size(), MPI_FLOAT, 1 - me, tag_, team.comm());
      team.send(round_, values.data(), values.size(), MPI_FLOAT, 1 - me, tag_);
      phase_ = 1;
      return;
    }
    for (int p = 0; p <= n; ++p) {
      bounds_.push_back(static_cast<std::size_t>(static_cast<unsigned long long>(values.size()) *
                                                 static_cast<unsigned>(p) /
                                                 static_cast<unsigned>(n)));
    }
    copies_ = team.take_buffer();
    const std::size_t mine = chunk_of(sums_, me).size();
    copies_.resize(mine * static_cast<std::size_t>(n));
    for (int p = 0; p < n; ++p) {
      if (p == me) continue;
      round_.receive(copies_.data() + mine * static_cast<std::size_t>(p), mine, MPI_FLOAT, p, tag_,
                     team.comm());
      const auto theirs = chunk_of(values_, p);
      team.send(round_, theirs.data(), theirs.size(), MPI_FLOAT, p, tag_);
    }
  }

  ~MpiPendingSum() override {
    if (copies_.capacity() > 0) team_.give_back(std::move(copies_));
  }

  bool test() override {
    if (phase_ == 0 && round_.test()) {
      add_in_rank_order();
      round_ = {};
      const int me = team_.rank();
      const auto mine = chunk_of(sums_, me);
      for (int p = 0; p < team_.size(); ++p) {
        if (p == me) continue;
        const auto theirs = chunk_of(sums_, p);
        round_.receive(theirs.data(), theirs.size(), MPI_FLOAT, p, tag_ + 1, team_.comm());
        team_.send(round_, mine.data(), mine.size(), MPI_FLOAT, p, tag_ + 1);
      }
      phase_ = 1;
    }
    if (phase_ == 1 && round_.test()) {
      if (team_.size() == 2) add_pair();
      phase_ = 2;
    }
    return phase_ == 2;
  }

  void wait() override {
    while (phase_ < 2) {
      team_.wait(round_, team_.size() == 2 ? "a gradient sum"
                         : phase_ == 0     ? "a gradient sum, its chunks"
                                           : "a gradient sum, its result");
      test();
    }
  }

 private:
  template <class T>
  std::span<T> chunk_of(std::span<T> all, int p) const {
    const auto i = static_cast<std::size_t>(p);
    return all.subspan(bounds_[i], bounds_[i + 1] - bounds_[i]);
  }
  // The other rank's values arrived in the sums. Two loops for x_0 + x_1 in rank order: the
  // same value either way, but not always the same NaN (the first operand's payload is kept).
  void add_pair() {
    float* out = sums_.data();
    const float* own = values_.data();
    if (team_.rank() == 0) {
      for (std::size_t i = 0; i < sums_.size(); ++i) out[i] = own[i] + out[i];
    } else {
      for (std::size_t i = 0; i < sums_.size(); ++i) out[i] = out[i] + own[i];
    }
  }

  void add_in_rank_order() {
    const int me = team_.rank();
    const auto out = chunk_of(sums_, me);
    const std::size_t m = out.size();
    const auto copy = [&](int p) {
      return p == me ? chunk_of(values_, me).data()
                     : copies_.data() + m * static_cast<std::size_t>(p);
    };
    for (std::size_t i = 0; i < m; ++i) {
      float total = copy(0)[i];
      for (int p = 1; p < team_.size(); ++p) total += copy(p)[i];
      out[i] = total;
    }
  }

  MpiTeam& team_;
  std::span<const float> values_;
  std::span<float> sums_;
  int tag_;
  int phase_ = 0;  // 0: chunks on the way in, 1: sums on the way out, 2: done
  std::vector<std::size_t> bounds_;
  std::vector<float> copies_;  // the other ranks' copies of this rank's chunk, at their rank
  Requests round_;
};

std::unique_ptr<train::PendingSum> MpiTeam::start_sum(std::span<const float> values,
                                                      std::span<float> sums) {
  train::check_sum_buffers(values, sums);
  return std::make_unique<MpiPendingSum>(*this, values, sums);
}

}  // namespace

bool available() {
  return true;
}

std::string library_version() {
  char text[MPI_MAX_LIBRARY_VERSION_STRING];
  int length = 0;
  MPI_Get_library_version(text, &length);
  std::string version(text, static_cast<std::size_t>(length));
  const auto end = version.find_first_of(",\n");
  return version.substr(0, end);
}

struct Session::State {
  std::unique_ptr<MpiTeam> team;
  int local_size = 1;
};

Session::Session(double timeout_seconds) : state_(std::make_unique<State>()) {
  int provided = 0;
  check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
  // Errors come back as codes (and exceptions here), not as MPI's own abort.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  state_->team = std::make_unique<MpiTeam>(MPI_COMM_WORLD, timeout_seconds);
  MPI_Comm local;
  check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &local),
        "MPI_Comm_split_type");
  MPI_Comm_size(local, &state_->local_size);
  MPI_Comm_free(&local);
}

Session::~Session() {
  state_->team.reset();
  MPI_Finalize();
}

train::Team& Session::team() {
  return *state_->team;
}
int Session::local_size() const {
  return state_->local_size;
}
void Session::abort(int status) {
  MPI_Abort(MPI_COMM_WORLD, status);
  std::exit(status);  // MPI_Abort does not return
}

}  // namespace rectify::dist
