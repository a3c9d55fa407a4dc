#include "engine/os_linux/nftables.h"

#include <dlfcn.h>
#include <nftables/libnftables.h>

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

Nftables::Nftables() : ctx_(nullptr) {}

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

}  // namespace sbx
