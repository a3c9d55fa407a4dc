// sandbox_probe: run inside a sandbox, attempts one action and prints "ok" or the name of
// the errno it got, so a test can assert exactly what the sandbox refused and how.
//
//   sandbox_probe write PATH          open PATH for writing, creating it (removed again if new)
//   sandbox_probe append PATH         open an existing PATH for writing, without creating it
//   sandbox_probe read PATH           open PATH and read a byte
//   sandbox_probe link SRC DST        hard-link SRC as DST (removed again)
//   sandbox_probe tcp ADDR PORT       connect over TCP (IPv4 or IPv6 literal), 2 s timeout
//   sandbox_probe udp ADDR PORT       send a datagram and wait 1 s for the echo
//   sandbox_probe icmp ADDR           send an echo request on a ping socket, wait 1 s
//   sandbox_probe loopback-server     listen on 127.0.0.1 and ::1 and connect to itself
//   sandbox_probe abstract NAME       connect to the abstract unix socket NAME
//   sandbox_probe signal PID          kill(PID, 0)
//   sandbox_probe ptrace PID          PTRACE_SEIZE PID
//   sandbox_probe vm-read PID         process_vm_readv from PID
//   sandbox_probe raw-socket          socket(AF_INET, SOCK_RAW, IPPROTO_ICMP)
//   sandbox_probe packet-socket       socket(AF_PACKET, SOCK_RAW, 0)
//   sandbox_probe keyring             add_key to the session keyring
//   sandbox_probe setuid              setuid(0)
//   sandbox_probe tiocsti             push a character into the terminal's input (TIOCSTI)
//   sandbox_probe userns              unshare(CLONE_NEWUSER)
//   sandbox_probe euid                print the effective uid
//   sandbox_probe env NAME            print NAME's value, or "unset"
//   sandbox_probe unix PATH           connect to the unix socket PATH
//   sandbox_probe setns PATH          setns() into the namespace file PATH (/proc/PID/ns/user)
//   sandbox_probe setuid-files DIR    try every way to leave a setuid or setgid file in DIR:
//                                     open and mkdir with the bits, chmod and fchmod to them
//                                     (always "ok": the test looks at what DIR holds)
//   sandbox_probe serve ADDR PORT     (outside the sandbox) accept TCP and echo UDP forever
//   sandbox_probe serve-unix PATH FILE  (outside) on every connection to the unix socket
//                                     PATH, create FILE: a daemon that runs what it is asked
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

namespace {

int Report(int rc) {
  if (rc == 0) {
    std::puts("ok");
    return 0;
  }
  const char* name = strerrorname_np(rc);
  std::puts(name ? name : std::to_string(rc).c_str());
  return 1;
}

int Errno() { return errno ? errno : EIO; }

// A number from the command line (a port or a pid the test passed); 0 if it is none.
int Number(const char* text) { return static_cast<int>(std::strtol(text, nullptr, 10)); }

// Whether a socket of this kind may be made (closed again at once).
int MakeSocket(int domain, int type, int protocol) {
  const int s = socket(domain, type, protocol);
  if (s < 0) return Errno();
  close(s);
  return 0;
}

bool Address(const char* text, int port, sockaddr_storage* out, socklen_t* len) {
  std::memset(out, 0, sizeof *out);
  auto* v4 = reinterpret_cast<sockaddr_in*>(out);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(out);
  if (inet_pton(AF_INET, text, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    *len = sizeof *v4;
    return true;
  }
  if (inet_pton(AF_INET6, text, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    *len = sizeof *v6;
    return true;
  }
  return false;
}

int Wait(int fd, short events, int ms) {
  pollfd p{fd, events, 0};
  int n = poll(&p, 1, ms);
  if (n == 0) return ETIMEDOUT;
  if (n < 0) return Errno();
  return 0;
}

int Tcp(const char* addr, int port) {
  sockaddr_storage sa{};
  socklen_t len = 0;
  if (!Address(addr, port, &sa, &len)) return EINVAL;
  int s = socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (s < 0) return Errno();
  if (connect(s, reinterpret_cast<sockaddr*>(&sa), len) != 0 && errno != EINPROGRESS) return Errno();
  if (int w = Wait(s, POLLOUT, 2000); w != 0) return w;
  int err = 0;
  socklen_t el = sizeof err;
  getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &el);
  close(s);
  return err;
}

int Udp(const char* addr, int port) {
  sockaddr_storage sa{};
  socklen_t len = 0;
  if (!Address(addr, port, &sa, &len)) return EINVAL;
  int s = socket(sa.ss_family, SOCK_DGRAM, 0);
  if (s < 0) return Errno();
  if (connect(s, reinterpret_cast<sockaddr*>(&sa), len) != 0) return Errno();
  if (send(s, "x", 1, 0) != 1) return Errno();
  if (int w = Wait(s, POLLIN, 1000); w != 0) return w;
  char c = 0;
  if (recv(s, &c, 1, 0) != 1) return Errno();
  close(s);
  return 0;
}

int Icmp(const char* addr) {
  sockaddr_storage sa{};
  socklen_t len = 0;
  if (!Address(addr, 0, &sa, &len) || sa.ss_family != AF_INET) return EINVAL;
  int s = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
  if (s < 0) return Errno();
  icmphdr h{};
  h.type = ICMP_ECHO;
  if (sendto(s, &h, sizeof h, 0, reinterpret_cast<sockaddr*>(&sa), len) < 0) return Errno();
  if (int w = Wait(s, POLLIN, 1000); w != 0) return w;
  close(s);
  return 0;
}

int LoopbackServer() {
  for (const char* addr : {"127.0.0.1", "::1"}) {
    sockaddr_storage sa{};
    socklen_t len = 0;
    if (!Address(addr, 0, &sa, &len)) return EINVAL;
    int l = socket(sa.ss_family, SOCK_STREAM, 0);
    if (l < 0) return Errno();
    if (bind(l, reinterpret_cast<sockaddr*>(&sa), len) != 0 || listen(l, 1) != 0) return Errno();
    getsockname(l, reinterpret_cast<sockaddr*>(&sa), &len);
    const int port = ntohs(sa.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&sa)->sin_port
                                                   : reinterpret_cast<sockaddr_in6*>(&sa)->sin6_port);
    if (int rc = Tcp(addr, port); rc != 0) return rc;
    close(l);
  }
  return 0;
}

int Abstract(const char* name) {
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  if (s < 0) return Errno();
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  const size_t n = std::min(std::strlen(name), sizeof sa.sun_path - 1);
  std::memcpy(sa.sun_path + 1, name, n);
  if (connect(s, reinterpret_cast<sockaddr*>(&sa), static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + n)) != 0) {
    return Errno();
  }
  close(s);
  return 0;
}

[[noreturn]] void Serve(const char* addr, int port) {
  sockaddr_storage sa{};
  socklen_t len = 0;
  if (!Address(addr, port, &sa, &len)) std::exit(2);
  std::thread udp([&] {
    int u = socket(sa.ss_family, SOCK_DGRAM, 0);
    if (bind(u, reinterpret_cast<const sockaddr*>(&sa), len) != 0) std::exit(3);
    for (;;) {
      char buf[64];
      sockaddr_storage from{};
      socklen_t fl = sizeof from;
      ssize_t n = recvfrom(u, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &fl);
      if (n > 0) sendto(u, buf, static_cast<size_t>(n), 0, reinterpret_cast<sockaddr*>(&from), fl);
    }
  });
  int l = socket(sa.ss_family, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(l, reinterpret_cast<sockaddr*>(&sa), len) != 0 || listen(l, 16) != 0) std::exit(3);
  std::puts("serving");
  (void)std::fflush(stdout);
  for (;;) {
    int c = accept(l, nullptr, nullptr);
    if (c >= 0) close(c);
  }
}

int Unix(const char* path, int* fd_out = nullptr) {
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  if (s < 0) return Errno();
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::strncpy(sa.sun_path, path, sizeof sa.sun_path - 1);
  if (connect(s, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    const int err = Errno();
    close(s);
    return err;
  }
  if (fd_out) *fd_out = s;
  else close(s);
  return 0;
}

[[noreturn]] void ServeUnix(const char* path, const char* file) {
  int l = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::strncpy(sa.sun_path, path, sizeof sa.sun_path - 1);
  unlink(path);
  if (bind(l, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || listen(l, 16) != 0) std::exit(3);
  std::puts("serving");
  (void)std::fflush(stdout);
  for (;;) {
    int c = accept(l, nullptr, nullptr);
    if (c < 0) continue;
    int f = open(file, O_WRONLY | O_CREAT, 0644);
    if (f >= 0) close(f);
    close(c);
  }
}

void SetuidFiles(const std::string& dir) {
  int fd = open((dir + "/opened").c_str(), O_WRONLY | O_CREAT | O_EXCL, 04755);
  if (fd >= 0) close(fd);
  fd = openat(AT_FDCWD, (dir + "/opened-at").c_str(), O_WRONLY | O_CREAT | O_EXCL, 02755);
  if (fd >= 0) close(fd);
  (void)mkdir((dir + "/made").c_str(), 02755);
  fd = open((dir + "/chmodded").c_str(), O_WRONLY | O_CREAT | O_EXCL, 0755);
  if (fd >= 0) {
    (void)fchmod(fd, 04755);
    close(fd);
  }
  (void)chmod((dir + "/chmodded").c_str(), 06755);
  (void)fchmodat(AT_FDCWD, (dir + "/made").c_str(), 02755, 0);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  const std::string a = argv[1];
  auto arg = [&](int i) -> const char* { return i < argc ? argv[i] : ""; };
  errno = 0;
  if (a == "write") {  // follows a symlink, as a program writing PATH would
    struct stat st {};
    const bool existed = lstat(arg(2), &st) == 0;
    int fd = open(arg(2), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return Report(Errno());
    close(fd);
    if (!existed) unlink(arg(2));
    return Report(0);
  }
  if (a == "append") {
    int fd = open(arg(2), O_WRONLY | O_APPEND);
    if (fd < 0) return Report(Errno());
    close(fd);
    return Report(0);
  }
  if (a == "read") {
    int fd = open(arg(2), O_RDONLY);
    if (fd < 0) return Report(Errno());
    char c = 0;
    ssize_t n = read(fd, &c, 1);
    close(fd);
    return Report(n < 0 ? Errno() : 0);
  }
  if (a == "link") {
    if (link(arg(2), arg(3)) != 0) return Report(Errno());
    unlink(arg(3));
    return Report(0);
  }
  if (a == "tcp") return Report(Tcp(arg(2), Number(arg(3))));
  if (a == "udp") return Report(Udp(arg(2), Number(arg(3))));
  if (a == "icmp") return Report(Icmp(arg(2)));
  if (a == "loopback-server") return Report(LoopbackServer());
  if (a == "abstract") return Report(Abstract(arg(2)));
  if (a == "signal") return Report(kill(Number(arg(2)), 0) == 0 ? 0 : Errno());
  if (a == "ptrace") return Report(ptrace(PTRACE_SEIZE, Number(arg(2)), nullptr, nullptr) == 0 ? 0 : Errno());
  if (a == "vm-read") {
    char buf[8];
    iovec local{buf, sizeof buf}, remote{reinterpret_cast<void*>(0x400000), sizeof buf};
    return Report(process_vm_readv(Number(arg(2)), &local, 1, &remote, 1, 0) >= 0 ? 0 : Errno());
  }
  if (a == "raw-socket") return Report(MakeSocket(AF_INET, SOCK_RAW, IPPROTO_ICMP));
  if (a == "packet-socket") return Report(MakeSocket(AF_PACKET, SOCK_RAW, 0));
  if (a == "keyring") {
    long rc = syscall(SYS_add_key, "user", "sandboxctl-probe", "x", 1, KEY_SPEC_SESSION_KEYRING);
    return Report(rc >= 0 ? 0 : Errno());
  }
  if (a == "setuid") return Report(setuid(0) == 0 ? 0 : Errno());
  if (a == "tiocsti") {
    char c = 'x';
    return Report(ioctl(STDIN_FILENO, TIOCSTI, &c) == 0 ? 0 : Errno());
  }
  if (a == "userns") return Report(unshare(CLONE_NEWUSER) == 0 ? 0 : Errno());
  if (a == "euid") {
    std::printf("%u\n", geteuid());
    return 0;
  }
  if (a == "env") {
    const char* v = std::getenv(arg(2));
    std::puts(v ? v : "unset");
    return 0;
  }
  if (a == "unix") return Report(Unix(arg(2)));
  if (a == "setns") {
    int fd = open(arg(2), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Report(Errno());
    return Report(setns(fd, 0) == 0 ? 0 : Errno());
  }
  if (a == "setuid-files") {
    SetuidFiles(arg(2));
    return Report(0);
  }
  if (a == "serve") Serve(arg(2), Number(arg(3)));
  if (a == "serve-unix") ServeUnix(arg(2), arg(3));
  return 2;
}
