#include "engine/os_linux/nftables.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <nftables/libnftables.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "engine/os_linux/sys_error.h"

namespace sbx {

namespace {

// libnftables and the five libraries it pulls in take longer to load than all the rest of
// sandboxctl starts in, and most runs (compile, validate, exec as a user) never touch
// nftables: the library is loaded on first use instead of at program start, by soname,
// the way the loader would have found it at start.
struct Api {
  decltype(&nft_ctx_new) ctx_new = nullptr;
  decltype(&nft_ctx_free) ctx_free = nullptr;
  decltype(&nft_ctx_buffer_output) buffer_output = nullptr;
  decltype(&nft_ctx_buffer_error) buffer_error = nullptr;
  decltype(&nft_ctx_output_set_flags) output_set_flags = nullptr;
  decltype(&nft_run_cmd_from_buffer) run_cmd_from_buffer = nullptr;
  decltype(&nft_ctx_get_output_buffer) get_output_buffer = nullptr;
  decltype(&nft_ctx_get_error_buffer) get_error_buffer = nullptr;
  std::string error;  // why it could not be loaded
};

template <typename F>
bool Bind(void* lib, const char* name, F& fn) {
  fn = reinterpret_cast<F>(dlsym(lib, name));
  return fn != nullptr;
}

Api LoadApi() {
  Api api;
  void* lib = dlopen("libnftables.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    const char* e = dlerror();
    api.error = e ? e : "cannot load libnftables.so.1";
    return api;
  }
  if (!Bind(lib, "nft_ctx_new", api.ctx_new) || !Bind(lib, "nft_ctx_free", api.ctx_free) ||
      !Bind(lib, "nft_ctx_buffer_output", api.buffer_output) || !Bind(lib, "nft_ctx_buffer_error", api.buffer_error) ||
      !Bind(lib, "nft_ctx_output_set_flags", api.output_set_flags) ||
      !Bind(lib, "nft_run_cmd_from_buffer", api.run_cmd_from_buffer) ||
      !Bind(lib, "nft_ctx_get_output_buffer", api.get_output_buffer) ||
      !Bind(lib, "nft_ctx_get_error_buffer", api.get_error_buffer)) {
    api = Api{};
    api.error = "libnftables.so.1 lacks a function sandboxctl needs";
  }
  return api;
}

const Api& Library() {
  static const Api api = LoadApi();  // thread-safe, once
  return api;
}

}  // namespace

Nftables::Nftables() = default;

Nftables::~Nftables() {
  if (ctx_) Library().ctx_free(ctx_);
}

Result<Ok> Nftables::Open() {
  if (ctx_) return Ok{};
  const Api& nft = Library();
  if (!nft.ctx_new) return Error{"host_error", "dlopen", "libnftables.so.1", nft.error};
  ctx_ = nft.ctx_new(NFT_CTX_DEFAULT);
  if (!ctx_) return Error{"host_error", "nft_ctx_new", "", "cannot create an nftables context"};
  nft.buffer_output(ctx_);
  nft.buffer_error(ctx_);
  return Ok{};
}

Result<Ok> Nftables::Run(const std::string& commands) {
  if (auto o = Open(); !o.ok()) return o;
  const Api& nft = Library();
  nft.output_set_flags(ctx_, 0);
  if (nft.run_cmd_from_buffer(ctx_, commands.c_str()) != 0) {
    std::string message = nft.get_error_buffer(ctx_);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    return Error{"host_error", "nft", commands, message};
  }
  return Ok{};
}

Result<nlohmann::json> Nftables::List(const std::string& command) {
  if (auto o = Open(); !o.ok()) return o.error();
  const Api& nft = Library();
  nft.output_set_flags(ctx_, NFT_CTX_OUTPUT_JSON | NFT_CTX_OUTPUT_HANDLE);
  int rc = nft.run_cmd_from_buffer(ctx_, command.c_str());
  std::string errors = nft.get_error_buffer(ctx_);
  std::string output = nft.get_output_buffer(ctx_);
  nft.output_set_flags(ctx_, 0);
  if (rc != 0) {
    bool missing = errors.find("No such file or directory") != std::string::npos;
    bool denied = errors.find("Operation not permitted") != std::string::npos;
    while (!errors.empty() && errors.back() == '\n') errors.pop_back();
    return Error{missing ? "not_found" : denied ? "permission_denied" : "host_error", "nft", command, errors};
  }
  nlohmann::json j = nlohmann::json::parse(output, nullptr, false);
  if (j.is_discarded() || !j.contains("nftables") || !j["nftables"].is_array()) {
    return Error{"host_error", "nft", command, "unreadable JSON output"};
  }
  return j["nftables"];
}

// One request and one attribute of its answer: libnftables keeps the generation to itself,
// and libmnl would put a library loader's work back into every exec.
Result<uint32_t> NftRulesetGeneration() {
  const int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
  if (fd < 0) return SysError("socket", "NETLINK_NETFILTER", errno);
  struct {
    nlmsghdr header;
    nfgenmsg body;
  } request{};
  request.header.nlmsg_len = sizeof request;
  request.header.nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETGEN;
  request.header.nlmsg_flags = NLM_F_REQUEST;
  request.header.nlmsg_seq = 1;
  request.body.nfgen_family = AF_UNSPEC;
  request.body.version = NFNETLINK_V0;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  alignas(nlmsghdr) char answer[512];
  ssize_t n = -1;
  sockaddr_nl from{};
  socklen_t from_len = sizeof from;
  if (sendto(fd, &request, sizeof request, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) ==
      static_cast<ssize_t>(sizeof request)) {
    n = recvfrom(fd, answer, sizeof answer, 0, reinterpret_cast<sockaddr*>(&from), &from_len);
  }
  const int err = errno;
  close(fd);
  if (n < 0) return SysError("netlink NFT_MSG_GETGEN", "nftables", err);
  if (from.nl_pid != 0) return Error{"host_error", "netlink NFT_MSG_GETGEN", "nftables", "an answer not from the kernel"};
  int left = static_cast<int>(n);  // NLMSG_OK and NLMSG_NEXT work on a signed length
  for (auto* h = reinterpret_cast<nlmsghdr*>(answer); NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
    if (h->nlmsg_seq != request.header.nlmsg_seq) continue;
    if (h->nlmsg_type == NLMSG_ERROR) {
      if (h->nlmsg_len < NLMSG_LENGTH(sizeof(nlmsgerr))) break;
      const auto* e = static_cast<const nlmsgerr*>(NLMSG_DATA(h));
      return SysError("netlink NFT_MSG_GETGEN", "nftables", e->error < 0 ? -e->error : EPROTO);
    }
    if (h->nlmsg_type != ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWGEN)) continue;
    for (size_t at = NLMSG_SPACE(sizeof(nfgenmsg)); at + sizeof(nlattr) <= h->nlmsg_len;) {
      nlattr a{};
      std::memcpy(&a, reinterpret_cast<const char*>(h) + at, sizeof a);
      if (a.nla_len < sizeof a || at + a.nla_len > h->nlmsg_len) break;
      if ((a.nla_type & NLA_TYPE_MASK) == NFTA_GEN_ID && a.nla_len >= sizeof a + sizeof(uint32_t)) {
        uint32_t id = 0;
        std::memcpy(&id, reinterpret_cast<const char*>(h) + at + NLA_HDRLEN, sizeof id);
        return ntohl(id);
      }
      at += NLA_ALIGN(a.nla_len);
    }
  }
  return Error{"host_error", "netlink NFT_MSG_GETGEN", "nftables", "the answer holds no generation"};
}

}  // namespace sbx
