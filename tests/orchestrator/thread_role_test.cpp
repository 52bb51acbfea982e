// Throughput threads run as SCHED_BATCH (they never preempt the network thread when they
// wake); the network thread keeps the default policy.
#include <gtest/gtest.h>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>

#include "orchestrator/thread_role.hpp"
#include "tests/orchestrator/thread_policies.hpp"

namespace emosweep::orchestrator {
namespace {

struct Observed {
  int policy = -1;
  int nice_before = 0, nice_after = 0;
  std::string name;
  bool accepted = false;
};

template <typename Become>
Observed observe(Become become) {
  Observed o;
  std::thread([&] {
    o.nice_before = ::getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()));
    o.accepted = become();
    o.policy = ::sched_getscheduler(0);
    o.nice_after = ::getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()));
    char name[16] = {};
    ::pthread_getname_np(::pthread_self(), name, sizeof name);
    o.name = name;
  }).join();
  return o;
}

TEST(ThreadRole, AThroughputThreadRunsAsBatchUnderItsNameAndKeepsItsNiceValue) {
  const auto o = observe([] { return become_throughput_thread("es-test-batch"); });
  EXPECT_TRUE(o.accepted);
  EXPECT_EQ(o.policy, SCHED_BATCH);
  EXPECT_EQ(o.name, "es-test-batch");
  EXPECT_EQ(o.nice_after, o.nice_before);
}

TEST(ThreadRole, ANamedThreadKeepsTheDefaultPolicy) {
  const auto o = observe([] {
    name_thread("es-test-net");
    return true;
  });
  EXPECT_EQ(o.policy, SCHED_OTHER);
  EXPECT_EQ(o.name, "es-test-net");
}

TEST(ThreadRole, TheKernelReportsTheThreadsPolicyByName) {
  // The helper the stage tests use, checked against threads whose policy is known.
  std::atomic<bool> ready{false}, done{false};
  std::thread batch([&] {
    become_throughput_thread("es-test-probe");
    ready = true;
    while (!done)
      std::this_thread::yield();
  });
  while (!ready)
    std::this_thread::yield();
  const auto policies = testing::policies_of_threads_named("es-test-probe");
  done = true;
  batch.join();
  ASSERT_EQ(policies.size(), 1u);
  EXPECT_EQ(policies[0], SCHED_BATCH);
  EXPECT_TRUE(testing::policies_of_threads_named("es-test-probe").empty());
}

}  // namespace
}  // namespace emosweep::orchestrator
