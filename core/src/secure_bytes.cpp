#include "qscd/secure_bytes.hpp"

#include <mbedtls/platform_util.h>

namespace qscd {

void secure_zero(void* data, std::size_t size) { mbedtls_platform_zeroize(data, size); }

}  // namespace qscd
