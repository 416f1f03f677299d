// A fixed pool of worker threads for data-parallel kernels. The calling thread takes part
// in every parallel_for, so a pool of n threads starts n - 1 workers and never
// oversubscribes the cores it was sized for. One parallel_for runs at a time per pool.
//
// Decoding one token calls parallel_for a few hundred times, a few microseconds apart, so
// waking a sleeping thread (tens of microseconds) would cost more than the work. Workers
// therefore spin on an atomic job counter for a short while (spin_window) after each job and
// only then sleep on a condition variable; an idle pool costs no CPU after that window.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace prism::kernels {

class thread_pool {
public:
    /// n_threads <= 0 means std::thread::hardware_concurrency().
    explicit thread_pool(int n_threads = 0);
    ~thread_pool();
    thread_pool(const thread_pool&) = delete;
    thread_pool& operator=(const thread_pool&) = delete;

    int n_threads() const { return static_cast<int>(m_workers.size()) + 1; }

    /// Calls fn(begin, end, thread_index) over disjoint ranges covering [0, n), split into
    /// at most n_threads() contiguous chunks of about equal size. Returns when all are done.
    /// Exceptions thrown by fn are rethrown here (the first one).
    void parallel_for(int64_t n, const std::function<void(int64_t, int64_t, int)>& fn);

private:
    void worker_loop(int index);
    void run_chunk(int index);

    /// How long an idle worker spins before it sleeps.
    static constexpr std::chrono::microseconds spin_window{2000};

    std::vector<std::thread> m_workers;
    std::mutex m_mutex;  ///< guards sleeping/waking and m_error
    std::condition_variable m_start_cv;
    const std::function<void(int64_t, int64_t, int)>* m_fn = nullptr;
    int64_t m_n = 0;
    std::atomic<uint64_t> m_generation{0};  ///< bumped once per job (release)
    std::atomic<int> m_pending{0};          ///< workers still running the current job
    std::atomic<bool> m_stop{false};
    std::exception_ptr m_error;
};

}  // namespace prism::kernels
