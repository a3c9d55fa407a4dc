// A library for LD_PRELOAD that leaves a mark wherever the dynamic loader lets it in:
// hostile_test.cc hands it to sandboxctl-runner and checks that neither the runner nor
// the command it starts ever loaded it. When loaded, it appends the program it was loaded
// into to "preload-marker" in its own directory and says so on standard error.
#include <dlfcn.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>

namespace {

void Append(int fd, const char* text) { (void)!write(fd, text, std::strlen(text)); }

__attribute__((constructor)) void Mark() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&Mark), &info) == 0 || !info.dli_fname) return;
  char path[4096];
  const char* slash = std::strrchr(info.dli_fname, '/');
  const size_t dir = slash ? static_cast<size_t>(slash - info.dli_fname) : 0;
  if (dir + sizeof "/preload-marker" > sizeof path) return;
  std::memcpy(path, info.dli_fname, dir);
  std::memcpy(path + dir, "/preload-marker", sizeof "/preload-marker");
  char exe[4096];
  const ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  exe[n > 0 ? n : 0] = '\0';
  const int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
  if (fd >= 0) {
    Append(fd, exe);
    Append(fd, "\n");
    close(fd);
  }
  Append(2, "preload-marker loaded into ");
  Append(2, exe);
  Append(2, "\n");
}

}  // namespace
