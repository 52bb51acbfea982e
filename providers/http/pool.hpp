// The bookkeeping of one origin's keep-alive pool, without any I/O: which connection a
// request gets, who waits, who is woken. The client drives it from one thread; the time is
// passed in, so the unit tests step it with a fake clock and fake connections.
//
// `Conn` needs `bool looks_alive()` (a cheap, non-blocking check of an idle connection).
// Destroying a `std::unique_ptr<Conn>` closes the connection.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <utility>

namespace emosweep::providers::http_detail {

template <typename Conn>
class PoolLedger {
 public:
  using Clock = std::chrono::steady_clock;

  // What a request may use: a pooled connection (`conn` set, reused), or the right to open a
  // new one (`conn` empty), which already counts against the cap.
  struct Lease {
    std::unique_ptr<Conn> conn;
    bool reused() const { return conn != nullptr; }
  };

  // A request waiting for a lease. `wake` is called once, from release(), after `handoff` is
  // set; the waiter is then no longer queued.
  struct Waiter {
    std::optional<Lease> handoff;
    std::function<void()> wake;
    bool queued = false;
    typename std::list<Waiter*>::iterator position;
  };

  // Connections idle for less than `check_after` are reused without a liveness check: the
  // check costs a system call on the hot path, servers close idle connections after seconds,
  // not milliseconds, and the client re-sends once a request that a closed pooled connection
  // swallowed before any response byte.
  PoolLedger(std::size_t max_connections, Clock::duration idle_timeout,
             Clock::duration check_after = std::chrono::seconds(1))
      : max_connections_(max_connections), idle_timeout_(idle_timeout), check_after_(check_after) {}

  // A lease now, or nullopt when the caller must enqueue() and wait. Idle connections that
  // are expired, or (when idle for check_after or more) no longer alive, are closed on the
  // way. `fresh_only` never reuses: it closes the oldest idle connection if that is what frees
  // a slot.
  std::optional<Lease> try_acquire(Clock::time_point now, bool fresh_only = false) {
    expire_idle(now);
    if (!fresh_only) {
      while (!idle_.empty()) {
        const bool recent = now - idle_.back().since < check_after_;
        Lease lease{std::move(idle_.back().conn)};
        idle_.pop_back();
        if (recent || lease.conn->looks_alive()) return lease;
        --open_;  // closed by the server while idle: drop it
      }
    } else if (open_ >= max_connections_ && !idle_.empty()) {
      idle_.pop_front();
      --open_;
    }
    if (open_ < max_connections_) {
      ++open_;
      return Lease{};
    }
    return std::nullopt;
  }

  void enqueue(Waiter& w) {
    w.position = waiters_.insert(waiters_.end(), &w);
    w.queued = true;
  }
  // Removes a waiter that gave up (timeout, cancellation). If it had been handed a lease
  // meanwhile, the lease goes back to the pool.
  void abandon(Waiter& w, Clock::time_point now) {
    if (w.queued) {
      waiters_.erase(w.position);
      w.queued = false;
    }
    if (w.handoff) {
      auto lease = std::move(*w.handoff);
      w.handoff.reset();
      if (lease.conn)
        release(std::move(lease.conn), true, now);
      else
        release_slot();
    }
  }

  // A leased connection is done: kept for reuse (or handed to the first waiter) when
  // `keep_alive`, else closed.
  void release(std::unique_ptr<Conn> conn, bool keep_alive, Clock::time_point now) {
    if (!keep_alive || !conn) {
      conn.reset();
      release_slot();
      return;
    }
    if (Waiter* w = pop_waiter()) {
      w->handoff.emplace(Lease{std::move(conn)});
      w->wake();
      return;
    }
    idle_.push_back(Idle{std::move(conn), now});
  }

  // A slot granted for a new connection that is not (or no longer) in use: it failed to
  // open, or was closed. The slot passes to the first waiter, else frees up.
  void release_slot() {
    if (Waiter* w = pop_waiter()) {
      w->handoff.emplace(Lease{});
      w->wake();
      return;
    }
    --open_;
  }

  std::size_t open() const { return open_; }  // idle + leased + slots being opened
  std::size_t idle() const { return idle_.size(); }
  std::size_t waiting() const { return waiters_.size(); }

 private:
  struct Idle {
    std::unique_ptr<Conn> conn;
    Clock::time_point since;
  };

  void expire_idle(Clock::time_point now) {
    while (!idle_.empty() && now - idle_.front().since >= idle_timeout_) {
      idle_.pop_front();
      --open_;
    }
  }

  Waiter* pop_waiter() {
    if (waiters_.empty()) return nullptr;
    Waiter* w = waiters_.front();
    waiters_.pop_front();
    w->queued = false;
    return w;
  }

  std::size_t max_connections_;
  Clock::duration idle_timeout_;
  Clock::duration check_after_;
  std::size_t open_ = 0;
  std::deque<Idle> idle_;  // oldest first; reuse takes the newest (warm, least likely closed)
  std::list<Waiter*> waiters_;
};

}  // namespace emosweep::providers::http_detail
