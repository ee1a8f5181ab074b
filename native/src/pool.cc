// Work sharing that never waits for a thread that has not started: see pool.h for why.
//
// One job at a time. Its state is one 64-bit word: job number (32 bits) | chunk count (16) | next unclaimed chunk (16).
// Whoever claims a chunk (the caller or a helper) advances `next` with a compare-and-swap on the whole word, so a helper
// that wakes late, after its job ended and another began, cannot claim a chunk of the wrong job: its swap fails when
// the job number differs. A claimed chunk belongs to a live job (the caller returns only after every chunk is done),
// so the job's function is valid while the chunk runs.
#include "pool.h"
#include "common.h"
#include <omp.h>
#include <pthread.h>
#include <signal.h>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>
#include <immintrin.h>

namespace genlab {
namespace {

std::atomic<uint64_t> state{0};
std::atomic<int64_t> done{0};
std::atomic<bool> waiting{false};  // the caller sleeps until the last chunk is done
const std::function<void(int64_t)>* job = nullptr;  // written before the job's word is published
// Never destroyed: at process exit, destroying a condition variable that a sleeping helper waits on blocks for ever
// (glibc's pthread_cond_destroy waits for its waiters), and Node would hang instead of exiting.
struct Sync {
  std::mutex sleepMutex;
  std::condition_variable wake;
  uint32_t published = 0;  // last job number announced to sleeping helpers (under sleepMutex)
  int sleeping = 0;        // helpers waiting on `wake` (under sleepMutex)
  std::mutex owner;        // held by the thread whose job uses the pool (Node worker_threads may call concurrently)
  int helpers = 0;         // started (under owner)
  std::mutex doneMutex;
  std::condition_variable allDone;  // the caller waits on it for chunks helpers still run (see shareWork)
};
Sync& sync() {
  static Sync* s = new Sync;
  return *s;
}
thread_local bool inChunk = false;

constexpr uint64_t pack(uint32_t jobNo, int64_t chunks, int64_t next) {
  return (uint64_t(jobNo) << 32) | (uint64_t(chunks) << 16) | uint64_t(next);
}

// Claims and runs chunks of job `jobNo` until none is left (or the job is no longer current); returns how many it ran.
int64_t drain(uint32_t jobNo) {
  for (int64_t ran = 0;; ran++) {
    uint64_t s = state.load(std::memory_order_acquire);
    const int64_t chunks = (s >> 16) & 0xffff, next = s & 0xffff;
    if (uint32_t(s >> 32) != jobNo || next >= chunks) return ran;
    if (!state.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel)) continue;
    (*job)(next);
    // Sequentially consistent, with the caller's store of `waiting` and load of `done`: one of the two sees the other.
    if (done.fetch_add(1) + 1 == chunks && waiting.load()) {
      Sync& y = sync();
      std::lock_guard<std::mutex> lock(y.doneMutex);
      y.allDone.notify_one();
    }
  }
}

std::atomic<int> wanted{0};  // helpers that take part (threads(n) may lower it after more were started)

void helperLoop(int index) {
  sigset_t all;
  sigfillset(&all);
  for (int s : {SIGSEGV, SIGBUS, SIGFPE, SIGILL}) sigdelset(&all, s);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);
  omp_set_num_threads(1);
  denormalsAsZeroForGood();  // as the caller runs its share (common.h DenormalsAsZero)
  inChunk = true;  // a shareWork call from one of this helper's chunks runs serially
  uint32_t seen = 0, current = 0;
  for (;;) {
    // Sleeps between jobs (spinning for the next one, 50–200 µs, measured no faster here, and takes a core that
    // other processes of a shared machine want).
    Sync& y = sync();
    {
      std::unique_lock<std::mutex> lock(y.sleepMutex);
      y.sleeping++;
      y.wake.wait(lock, [&] { return y.published != seen; });
      y.sleeping--;
      current = y.published;
    }
    seen = current;
    if (index < wanted.load(std::memory_order_relaxed)) drain(seen);
  }
}

}  // namespace

int workers() { return std::max(1, omp_get_max_threads()); }

// A helper that another process preempted in the middle of a chunk makes the caller wait for its time slice (a few
// ms): the price of sharing on a machine whose cores are all busy. After such a stall (a wait of more than 3 of the
// caller's own chunks, and 300 µs), jobs run on the calling thread alone for a while; then sharing is tried again.
using Clock = std::chrono::steady_clock;
Clock::time_point serialUntil;
// Measured with one core kept busy by another process, DCGAN steps: 59 ms with this, 85 ms without, 95 ms with
// OpenMP's 2-thread fork/join (and 42–48 against 45 and 50–52 when that load let up).
constexpr auto kSerialFor = std::chrono::milliseconds(50);

void shareWork(int64_t chunks, const std::function<void(int64_t)>& run) {
  const int want = workers() - 1;
  Sync& y = sync();
  std::unique_lock<std::mutex> mine(y.owner, std::try_to_lock);
  if (chunks <= 1 || want < 1 || inChunk || !mine.owns_lock() || chunks > 0xffff || Clock::now() < serialUntil) {
    const int old = omp_get_max_threads();
    omp_set_num_threads(1);  // chunks run on one thread, wherever they run
    for (int64_t i = 0; i < chunks; i++) run(i);
    omp_set_num_threads(old);
    return;
  }
  for (; y.helpers < want; y.helpers++) std::thread(helperLoop, y.helpers).detach();  // they live as long as the process
  wanted.store(want, std::memory_order_relaxed);
  const int old = omp_get_max_threads();
  omp_set_num_threads(1);
  inChunk = true;
  job = &run;
  done.store(0, std::memory_order_relaxed);
  const uint32_t jobNo = uint32_t(state.load(std::memory_order_relaxed) >> 32) + 1;
  state.store(pack(jobNo, chunks, 0), std::memory_order_release);
  {
    std::lock_guard<std::mutex> lock(y.sleepMutex);
    y.published = jobNo;
    if (y.sleeping > 0) y.wake.notify_all();
  }
  const auto start = Clock::now();
  const int64_t ran = drain(jobNo);
  // Every chunk is claimed; wait for those a helper is still running: briefly spinning, then asleep. A sleeping
  // caller leaves its core idle, and the scheduler moves a helper that another process preempted onto it.
  for (int spins = 0; spins < 2000 && done.load(std::memory_order_acquire) < chunks; spins++) _mm_pause();
  if (done.load(std::memory_order_acquire) < chunks) {
    const auto drained = Clock::now();
    {
      std::unique_lock<std::mutex> lock(y.doneMutex);
      waiting.store(true);
      y.allDone.wait(lock, [&] { return done.load() >= chunks; });
      waiting.store(false, std::memory_order_relaxed);
    }
    const auto end = Clock::now();
    if (end - drained > std::max<Clock::duration>(3 * (drained - start) / std::max<int64_t>(1, ran), std::chrono::microseconds(300))) {
      serialUntil = end + kSerialFor;
    }
  }
  job = nullptr;
  inChunk = false;
  omp_set_num_threads(old);
}

}  // namespace genlab
