// Signatures/s through a PKCS#11 module (SoftHSM2, or OpenSC over the simulated card), the peer of
// row groups 1-3. The module is dlopen'ed and its C_* entry points looked up by name, so only the
// handful of PKCS#11 v2.40 types used here are declared (values from pkcs11t.h).
//   p11_bench --module SO --label-contains TEXT --pin-env VAR --id HEX --mech ecdsa|rsa|rsa-pss
//             --digest-len N --name METRIC [--passes N] [--rounds N] [--timer wall|cpu]
// --timer cpu for a module that computes in this thread (SoftHSM2), wall for one that waits (OpenSC).
// The digest signed is N bytes (RSA PKCS#1 v1.5: a SHA-256 DigestInfo, as a card gets it). Prints
// "METRIC<TAB>NAME<TAB>signatures/s". A key that wants the PIN per signature
// (CKA_ALWAYS_AUTHENTICATE) gets C_Login(CKU_CONTEXT_SPECIFIC) before each C_Sign, as its users must.
#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "harness.hpp"

namespace {

using CK_ULONG = unsigned long;
using CK_RV = CK_ULONG;
using CK_BBOOL = unsigned char;
struct CK_ATTRIBUTE { CK_ULONG type; void* value; CK_ULONG len; };
struct CK_MECHANISM { CK_ULONG mechanism; void* parameter; CK_ULONG len; };
struct CK_RSA_PKCS_PSS_PARAMS { CK_ULONG hash_alg, mgf, salt_len; };
struct CK_VERSION { unsigned char major, minor; };
struct CK_TOKEN_INFO {
    unsigned char label[32], manufacturer[32], model[16], serial[16];
    CK_ULONG flags, counts[10];
    CK_VERSION hw, fw;
    unsigned char utc_time[16];
};

constexpr CK_ULONG CKF_RW_SESSION = 2, CKF_SERIAL_SESSION = 4, CKU_USER = 1, CKU_CONTEXT_SPECIFIC = 2;
constexpr CK_ULONG CKA_CLASS = 0, CKA_ID = 0x102, CKA_ALWAYS_AUTHENTICATE = 0x202, CKO_PRIVATE_KEY = 3;
constexpr CK_ULONG CKM_RSA_PKCS = 1, CKM_RSA_PKCS_PSS = 0x0D, CKM_ECDSA = 0x1041, CKM_SHA256 = 0x250, CKG_MGF1_SHA256 = 2;
constexpr CK_ULONG CKR_OK = 0, CKR_USER_ALREADY_LOGGED_IN = 0x100;

template <class F>
F sym(void* lib, const char* name) {
    void* p = dlsym(lib, name);
    if (!p) {
        std::fprintf(stderr, "p11_bench: %s missing from the module\n", name);
        std::exit(1);
    }
    return reinterpret_cast<F>(p);
}

void check(CK_RV rv, const char* what) {
    if (rv != CKR_OK) {
        std::fprintf(stderr, "p11_bench: %s failed: CKR 0x%lx\n", what, rv);
        std::exit(1);
    }
}

std::vector<unsigned char> from_hex(const std::string& hex) {
    std::vector<unsigned char> out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<unsigned char>(std::stoul(hex.substr(i, 2), nullptr, 16)));
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    std::string module, label, pin_env = "P11_PIN", id = "01", mech = "ecdsa", name = "p11";
    int passes = 3, rounds = 15;
    std::size_t digest_len = 32;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string k = argv[i], v = argv[i + 1];
        if (k == "--module") module = v;
        else if (k == "--label-contains") label = v;
        else if (k == "--pin-env") pin_env = v;
        else if (k == "--id") id = v;
        else if (k == "--mech") mech = v;
        else if (k == "--name") name = v;
        else if (k == "--digest-len") digest_len = std::stoul(v);
        else if (k == "--passes") passes = std::stoi(v);
        else if (k == "--rounds") rounds = std::stoi(v);
        else if (k == "--timer") bench::timer = v == "cpu" ? bench::Timer::ThreadCpu : bench::Timer::Wall;
        else { std::fprintf(stderr, "p11_bench: unknown option %s\n", k.c_str()); return 2; }
    }
    const char* pin = std::getenv(pin_env.c_str());
    if (module.empty() || !pin) { std::fprintf(stderr, "p11_bench: --module and the PIN in $%s are required\n", pin_env.c_str()); return 2; }

    void* lib = dlopen(module.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!lib) { std::fprintf(stderr, "p11_bench: %s\n", dlerror()); return 1; }
    auto C_Initialize = sym<CK_RV (*)(void*)>(lib, "C_Initialize");
    auto C_Finalize = sym<CK_RV (*)(void*)>(lib, "C_Finalize");
    auto C_GetSlotList = sym<CK_RV (*)(CK_BBOOL, CK_ULONG*, CK_ULONG*)>(lib, "C_GetSlotList");
    auto C_GetTokenInfo = sym<CK_RV (*)(CK_ULONG, CK_TOKEN_INFO*)>(lib, "C_GetTokenInfo");
    auto C_OpenSession = sym<CK_RV (*)(CK_ULONG, CK_ULONG, void*, void*, CK_ULONG*)>(lib, "C_OpenSession");
    auto C_CloseSession = sym<CK_RV (*)(CK_ULONG)>(lib, "C_CloseSession");
    auto C_Login = sym<CK_RV (*)(CK_ULONG, CK_ULONG, const unsigned char*, CK_ULONG)>(lib, "C_Login");
    auto C_FindObjectsInit = sym<CK_RV (*)(CK_ULONG, CK_ATTRIBUTE*, CK_ULONG)>(lib, "C_FindObjectsInit");
    auto C_FindObjects = sym<CK_RV (*)(CK_ULONG, CK_ULONG*, CK_ULONG, CK_ULONG*)>(lib, "C_FindObjects");
    auto C_FindObjectsFinal = sym<CK_RV (*)(CK_ULONG)>(lib, "C_FindObjectsFinal");
    auto C_GetAttributeValue = sym<CK_RV (*)(CK_ULONG, CK_ULONG, CK_ATTRIBUTE*, CK_ULONG)>(lib, "C_GetAttributeValue");
    auto C_SignInit = sym<CK_RV (*)(CK_ULONG, CK_MECHANISM*, CK_ULONG)>(lib, "C_SignInit");
    auto C_Sign = sym<CK_RV (*)(CK_ULONG, const unsigned char*, CK_ULONG, unsigned char*, CK_ULONG*)>(lib, "C_Sign");

    check(C_Initialize(nullptr), "C_Initialize");
    CK_ULONG count = 0;
    check(C_GetSlotList(1, nullptr, &count), "C_GetSlotList");
    std::vector<CK_ULONG> slots(count);
    check(C_GetSlotList(1, slots.data(), &count), "C_GetSlotList");
    CK_ULONG slot = ~0UL;
    for (CK_ULONG i = 0; i < count && slot == ~0UL; ++i) {
        CK_TOKEN_INFO info{};
        if (C_GetTokenInfo(slots[i], &info) != CKR_OK) continue;
        if (std::string(reinterpret_cast<char*>(info.label), sizeof info.label).find(label) != std::string::npos) slot = slots[i];
    }
    if (slot == ~0UL) { std::fprintf(stderr, "p11_bench: no token whose label contains '%s'\n", label.c_str()); return 1; }

    CK_ULONG session = 0;
    check(C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &session), "C_OpenSession");
    const auto pin_len = static_cast<CK_ULONG>(std::strlen(pin));
    const auto* pin_bytes = reinterpret_cast<const unsigned char*>(pin);
    if (CK_RV rv = C_Login(session, CKU_USER, pin_bytes, pin_len); rv != CKR_USER_ALREADY_LOGGED_IN) check(rv, "C_Login");

    CK_ULONG klass = CKO_PRIVATE_KEY;
    std::vector<unsigned char> id_bytes = from_hex(id);
    CK_ATTRIBUTE find[] = {{CKA_CLASS, &klass, sizeof klass}, {CKA_ID, id_bytes.data(), static_cast<CK_ULONG>(id_bytes.size())}};
    CK_ULONG key = 0, found = 0;
    check(C_FindObjectsInit(session, find, 2), "C_FindObjectsInit");
    check(C_FindObjects(session, &key, 1, &found), "C_FindObjects");
    C_FindObjectsFinal(session);
    if (found != 1) { std::fprintf(stderr, "p11_bench: no private key with id %s\n", id.c_str()); return 1; }
    CK_BBOOL always_auth = 0;
    CK_ATTRIBUTE aa{CKA_ALWAYS_AUTHENTICATE, &always_auth, sizeof always_auth};
    if (C_GetAttributeValue(session, key, &aa, 1) != CKR_OK) always_auth = 0;

    CK_RSA_PKCS_PSS_PARAMS pss{CKM_SHA256, CKG_MGF1_SHA256, 32};
    CK_MECHANISM mechanism{CKM_ECDSA, nullptr, 0};
    if (mech == "rsa") mechanism = {CKM_RSA_PKCS, nullptr, 0};
    else if (mech == "rsa-pss") mechanism = {CKM_RSA_PKCS_PSS, &pss, sizeof pss};
    std::vector<unsigned char> digest(digest_len, 0x5A);
    if (mech == "rsa") {  // DigestInfo(SHA-256) prefix, RFC 8017 §9.2 note 1
        const std::vector<unsigned char> prefix = from_hex("3031300d060960864801650304020105000420");
        digest = prefix;
        digest.resize(prefix.size() + 32, 0x5A);
    }
    const auto sign_once = [&] {
        check(C_SignInit(session, &mechanism, key), "C_SignInit");
        if (always_auth) check(C_Login(session, CKU_CONTEXT_SPECIFIC, pin_bytes, pin_len), "C_Login(context specific)");
        unsigned char sig[1024];
        CK_ULONG sig_len = sizeof sig;
        check(C_Sign(session, digest.data(), static_cast<CK_ULONG>(digest.size()), sig, &sig_len), "C_Sign");
    };
    const double us = bench::interleaved_us(passes, rounds, {sign_once})[0];
    bench::metric(name, bench::per_second(us));
    if (always_auth) bench::metric(name + ".always_authenticate", 1);
    C_CloseSession(session);
    C_Finalize(nullptr);
    return 0;
}
