#include <sys/resource.h>

#include "providers/http_client.hpp"

namespace emosweep::providers {

std::uint64_t raise_open_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur != limit.rlim_max) {
    rlimit wanted = limit;
    // An unlimited hard limit is not accepted as a soft limit for files; 1 Mi is the kernel's
    // usual ceiling (fs.nr_open).
    if (wanted.rlim_max == RLIM_INFINITY)
      wanted.rlim_cur = rlim_t{1} << 20;
    else
      wanted.rlim_cur = wanted.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &wanted) == 0) limit = wanted;
  }
  return limit.rlim_cur == RLIM_INFINITY ? UINT64_MAX : static_cast<std::uint64_t>(limit.rlim_cur);
}

}  // namespace emosweep::providers
