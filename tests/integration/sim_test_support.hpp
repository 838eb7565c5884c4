// Helpers for the simulator tests: a card on MemoryStorage, hex APDUs, mbedTLS verification.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <mbedtls/ecdsa.h>
#include <mbedtls/rsa.h>
#include <mbedtls/sha256.h>

#include "qscd/codec/apdu.hpp"
#include "qscd/codec/bytes.hpp"
#include "qscd/codec/tlv.hpp"
#include "qscd/sim/host_platform.hpp"
#include "qscd/sim/virtual_card.hpp"

namespace simtest {

using qscd::ByteView;
using qscd::Bytes;

inline Bytes hex(const std::string& s) {
    auto b = qscd::from_hex(s);
    REQUIRE(b.has_value());
    return *b;
}

struct Resp {
    Bytes data;
    std::uint16_t sw = 0;
};

inline Resp split(const Bytes& raw) {
    REQUIRE(raw.size() >= 2);
    Resp r;
    r.data.assign(raw.begin(), raw.end() - 2);
    r.sw = static_cast<std::uint16_t>(raw[raw.size() - 2] << 8 | raw[raw.size() - 1]);
    return r;
}

// A fresh factory card (serial 00000001) on MemoryStorage; PBKDF2 iterations lowered for speed.
struct Sim {
    qscd::sim::MemoryStorage storage;
    qscd::sim::SystemRandom random;
    qscd::sim::SystemClock clock;
    std::unique_ptr<qscd::sim::VirtualCard> card;
    std::vector<std::uint8_t> buffer = std::vector<std::uint8_t>(qscd::sim::kMaxResponseApdu);

    explicit Sim(std::uint32_t iterations = 1000, bool format = true) {
        card = std::make_unique<qscd::sim::VirtualCard>(storage, random, clock, qscd::sim::CardOptions{iterations});
        if (format) REQUIRE(card->format({0x00, 0x00, 0x00, 0x01}) == qscd::sim::StorageStatus::Ok);
        card->power_on();
    }

    Bytes raw(ByteView command) {
        const std::size_t n = card->process(command, buffer);
        REQUIRE(n >= 2);
        return Bytes(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(n));
    }
    Resp send(const Bytes& command) { return split(raw(command)); }
    Resp send(const std::string& h) { return send(hex(h)); }
    std::uint16_t sw(const std::string& h) { return send(h).sw; }

    // Builds the APDU with the codec (short when possible unless `extended`).
    Resp apdu(std::uint8_t ins, std::uint8_t p1, std::uint8_t p2, const Bytes& data, std::uint32_t ne,
              bool extended = false) {
        qscd::CommandApdu c(0x00, ins, p1, p2, data, ne);
        auto enc = c.encode(extended);
        REQUIRE(enc.ok());
        return send(*enc);
    }
    // Sends and follows 61xx with GET RESPONSE.
    Resp transceive(const Bytes& command) {
        Resp r = send(command);
        Bytes all = r.data;
        while ((r.sw >> 8) == 0x61) {
            const std::uint8_t le = static_cast<std::uint8_t>(r.sw & 0xFF);
            r = send(Bytes{0x00, 0xC0, 0x00, 0x00, le});
            all.insert(all.end(), r.data.begin(), r.data.end());
        }
        r.data = all;
        return r;
    }

    void select() { REQUIRE(sw("00 A4 04 00 06 D2 76 00 01 24 01 00") == 0x9000); }
    void verify_pw3() { REQUIRE(sw("00 20 00 83 08 31 32 33 34 35 36 37 38") == 0x9000); }
    void verify_pw1(std::uint8_t mode = 0x81) {
        Bytes c = hex("00 20 00 81 06 31 32 33 34 35 36");
        c[3] = mode;
        REQUIRE(send(c).sw == 0x9000);
    }
    Bytes get_data(std::uint16_t tag) {
        Resp r = transceive(Bytes{0x00, 0xCA, static_cast<std::uint8_t>(tag >> 8), static_cast<std::uint8_t>(tag), 0x00});
        REQUIRE(r.sw == 0x9000);
        return r.data;
    }
};

inline Bytes sha256(ByteView data) {
    Bytes out(32);
    REQUIRE(mbedtls_sha256(data.data(), data.size(), out.data(), 0) == 0);
    return out;
}

// r‖s against an uncompressed point.
inline bool ecdsa_verifies(mbedtls_ecp_group_id gid, ByteView point, ByteView hash, ByteView rs) {
    mbedtls_ecp_group grp;
    mbedtls_ecp_point q;
    mbedtls_mpi r, s;
    mbedtls_ecp_group_init(&grp);
    mbedtls_ecp_point_init(&q);
    mbedtls_mpi_init(&r);
    mbedtls_mpi_init(&s);
    int rc = mbedtls_ecp_group_load(&grp, gid);
    if (rc == 0) rc = mbedtls_ecp_point_read_binary(&grp, &q, point.data(), point.size());
    if (rc == 0) rc = mbedtls_mpi_read_binary(&r, rs.data(), rs.size() / 2);
    if (rc == 0) rc = mbedtls_mpi_read_binary(&s, rs.data() + rs.size() / 2, rs.size() / 2);
    if (rc == 0) rc = mbedtls_ecdsa_verify(&grp, hash.data(), hash.size(), &q, &r, &s);
    mbedtls_ecp_group_free(&grp);
    mbedtls_ecp_point_free(&q);
    mbedtls_mpi_free(&r);
    mbedtls_mpi_free(&s);
    return rc == 0;
}

inline bool rsa_verifies(ByteView n, ByteView e, mbedtls_md_type_t md, ByteView hash, ByteView sig) {
    mbedtls_rsa_context rsa;
    mbedtls_rsa_init(&rsa);
    int rc = mbedtls_rsa_import_raw(&rsa, n.data(), n.size(), nullptr, 0, nullptr, 0, nullptr, 0, e.data(), e.size());
    if (rc == 0) rc = mbedtls_rsa_complete(&rsa);
    if (rc == 0 && sig.size() != mbedtls_rsa_get_len(&rsa)) rc = -1;
    if (rc == 0) rc = mbedtls_rsa_pkcs1_verify(&rsa, md, static_cast<unsigned>(hash.size()), hash.data(), sig.data());
    mbedtls_rsa_free(&rsa);
    return rc == 0;
}

// Value of `tag` inside 7F49.
inline Bytes pubkey_field(const Bytes& do7f49, std::uint32_t tag) {
    auto outer = qscd::find_tlv(do7f49, 0x7F49);
    REQUIRE(outer.ok());
    auto inner = qscd::find_tlv(outer->value, tag);
    REQUIRE(inner.ok());
    return Bytes(inner->value.begin(), inner->value.end());
}

}  // namespace simtest
