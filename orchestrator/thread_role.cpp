#include "orchestrator/thread_role.hpp"

#include <pthread.h>
#include <sched.h>

namespace emosweep::orchestrator {

void name_thread(const char* name) {
  ::pthread_setname_np(::pthread_self(), name);
}

bool become_throughput_thread(const char* name) {
  const sched_param param{};  // SCHED_BATCH takes priority 0; the nice value is kept
  const bool accepted = ::pthread_setschedparam(::pthread_self(), SCHED_BATCH, &param) == 0;
  name_thread(name);  // last: a thread seen under its name already has its policy
  return accepted;
}

}  // namespace emosweep::orchestrator
