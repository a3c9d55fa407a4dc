#include "engine/os_linux/nftables.h"

#include <nftables/libnftables.h>

namespace sbx {

Nftables::Nftables() : ctx_(nft_ctx_new(NFT_CTX_DEFAULT)) {
  if (ctx_) {
    nft_ctx_buffer_output(ctx_);
    nft_ctx_buffer_error(ctx_);
  }
}

Nftables::~Nftables() {
  if (ctx_) nft_ctx_free(ctx_);
}

Result<Ok> Nftables::Run(const std::string& commands) {
  if (!ctx_) return Error{"host_error", "nft_ctx_new", "", "cannot create an nftables context"};
  nft_ctx_output_set_flags(ctx_, 0);
  if (nft_run_cmd_from_buffer(ctx_, commands.c_str()) != 0) {
    std::string message = nft_ctx_get_error_buffer(ctx_);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    return Error{"host_error", "nft", commands, message};
  }
  return Ok{};
}

Result<nlohmann::json> Nftables::List(const std::string& command) {
  if (!ctx_) return Error{"host_error", "nft_ctx_new", "", "cannot create an nftables context"};
  nft_ctx_output_set_flags(ctx_, NFT_CTX_OUTPUT_JSON | NFT_CTX_OUTPUT_HANDLE);
  int rc = nft_run_cmd_from_buffer(ctx_, command.c_str());
  std::string errors = nft_ctx_get_error_buffer(ctx_);
  std::string output = nft_ctx_get_output_buffer(ctx_);
  nft_ctx_output_set_flags(ctx_, 0);
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
