#include "engine/core/result.h"

namespace sbx {

std::string Error::Render() const {
  if (call.empty()) return object.empty() ? message : object + ": " + message;
  return call + "(" + object + "): " + message;
}

}  // namespace sbx
