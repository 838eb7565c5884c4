// PEM armour via mbedtls_pem (RFC 7468 textual encoding).
#include "qscd/signing/pem.hpp"

#include <mbedtls/pem.h>

#include "mbedtls_glue.hpp"
#include "qscd/error.hpp"

namespace qscd {

Bytes pem_to_der(std::string_view pem) {
    constexpr std::string_view begin = "-----BEGIN ";
    std::size_t start = pem.find(begin);
    std::size_t label_end = start == std::string_view::npos ? start : pem.find("-----", start + begin.size());
    if (label_end == std::string_view::npos) throw Error(ErrorCode::InvalidArgument, "no PEM block found");
    std::string label(pem.substr(start + begin.size(), label_end - start - begin.size()));
    std::string header = "-----BEGIN " + label + "-----";
    std::string footer = "-----END " + label + "-----";
    std::string text(pem.substr(start));  // mbedtls_pem_read_buffer needs NUL termination
    mbedtls_pem_context ctx;
    mbedtls_pem_init(&ctx);
    std::size_t used = 0;
    int ret = mbedtls_pem_read_buffer(&ctx, header.c_str(), footer.c_str(),
                                      reinterpret_cast<const unsigned char*>(text.c_str()), nullptr, 0, &used);
    Bytes der;
    if (ret == 0) {
        std::size_t len = 0;
        const unsigned char* buf = mbedtls_pem_get_buffer(&ctx, &len);
        der.assign(buf, buf + len);
    }
    mbedtls_pem_free(&ctx);
    if (ret != 0) throw Error(ErrorCode::InvalidArgument, "malformed PEM block \"" + label + "\"");
    return der;
}

std::string der_to_pem(ByteView der, std::string_view label) {
    std::string header = "-----BEGIN " + std::string(label) + "-----\n";
    std::string footer = "-----END " + std::string(label) + "-----\n";
    std::string out(header.size() + footer.size() + der.size() * 4 / 3 + der.size() / 48 + 16, '\0');
    std::size_t len = 0;
    glue::check(mbedtls_pem_write_buffer(header.c_str(), footer.c_str(), der.data(), der.size(),
                                         reinterpret_cast<unsigned char*>(out.data()), out.size(), &len),
                "encoding PEM");
    out.resize(len > 0 && out[len - 1] == '\0' ? len - 1 : len);  // len counts the NUL
    return out;
}

}  // namespace qscd
