#include "core/lines.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

#include "core/error.hpp"

namespace emosweep {

namespace {
constexpr std::size_t kChunk = 1 << 20;
}

LineReader::LineReader(const std::string& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) throw InputError(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
}

LineReader::~LineReader() {
  if (fd_ >= 0) ::close(fd_);
}

bool LineReader::fill() {
  if (eof_) return false;
  if (pos_ > 0) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  // Read into a scratch block: resizing the string would zero-fill it on every call.
  if (!block_) block_.reset(new char[kChunk]);
  ssize_t got;
  do {
    got = ::read(fd_, block_.get(), kChunk);
  } while (got < 0 && errno == EINTR);
  if (got < 0) throw InputError(fmt::format("{}: read failed: {}", path_, std::strerror(errno)));
  buf_.append(block_.get(), static_cast<std::size_t>(got));
  if (got == 0) eof_ = true;
  return got > 0;
}

bool LineReader::next(std::string_view& line) {
  std::size_t scanned = pos_;
  for (;;) {
    const void* hit = scanned < buf_.size()
                          ? std::memchr(buf_.data() + scanned, '\n', buf_.size() - scanned)
                          : nullptr;
    if (hit) {
      const auto nl = static_cast<std::size_t>(static_cast<const char*>(hit) - buf_.data());
      std::size_t end = nl;
      if (end > pos_ && buf_[end - 1] == '\r') --end;
      line = std::string_view(buf_).substr(pos_, end - pos_);
      pos_ = nl + 1;
      ++line_number_;
      return true;
    }
    const std::size_t consumed = pos_;
    scanned = buf_.size();
    if (!fill()) {
      if (pos_ >= buf_.size()) return false;
      line = std::string_view(buf_).substr(pos_);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      pos_ = buf_.size();
      ++line_number_;
      return true;
    }
    scanned -= consumed;  // fill() moved the unconsumed bytes to the front
  }
}

void write_file_atomic(const std::string& path, std::string_view data) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    throw std::runtime_error(fmt::format("{}: cannot write: {}", tmp, std::strerror(errno)));
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      throw std::runtime_error(fmt::format("{}: write failed: {}", tmp, std::strerror(err)));
    }
    done += static_cast<std::size_t>(n);
  }
  ::fsync(fd);
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    throw std::runtime_error(fmt::format("{}: rename failed: {}", path, std::strerror(errno)));
}

std::string read_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw InputError(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  std::string out;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

}  // namespace emosweep
