// The one place where MBEDTLS_ERR_* codes become qscd::Error.
#include <mbedtls/error.h>

#include <string>

#include "mbedtls_glue.hpp"
#include "qscd/error.hpp"

namespace qscd::glue {

void fail(int ret, std::string_view what) {
    char text[160];
    mbedtls_strerror(ret, text, sizeof text);
    throw Error(ErrorCode::CryptoError, std::string(what) + ": " + text);
}

void check(int ret, std::string_view what) {
    if (ret != 0) fail(ret, what);
}

}  // namespace qscd::glue
