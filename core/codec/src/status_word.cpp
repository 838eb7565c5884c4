#include "qscd/codec/status_word.hpp"

#include <cstdio>

namespace qscd {

const char* StatusWord::name() const {
    if (has_more_data()) return "more data available";
    if (is_wrong_le()) return "wrong Le";
    if (is_counter()) return "verification failed, counter";
    switch (value) {
        case 0x9000: return "success";
        case 0x6281: return "returned data may be corrupted";
        case 0x6282: return "end of data reached before Le bytes";
        case 0x6283: return "selected file deactivated";
        case 0x6285: return "application in termination state";
        case 0x6300: return "verification failed";
        case 0x6400: return "execution error";
        case 0x6401: return "immediate response required";
        case 0x6581: return "memory failure";
        case 0x6600: return "security-related issue";
        case 0x6700: return "wrong length";
        case 0x6881: return "logical channel not supported";
        case 0x6882: return "secure messaging not supported";
        case 0x6883: return "last command of chain expected";
        case 0x6884: return "command chaining not supported";
        case 0x6981: return "command incompatible with file structure";
        case 0x6982: return "security status not satisfied";
        case 0x6983: return "authentication method blocked";
        case 0x6984: return "referenced data not usable";
        case 0x6985: return "conditions of use not satisfied";
        case 0x6986: return "command not allowed";
        case 0x6A80: return "incorrect parameters in data field";
        case 0x6A81: return "function not supported";
        case 0x6A82: return "file or application not found";
        case 0x6A84: return "not enough memory";
        case 0x6A86: return "incorrect P1/P2";
        case 0x6A87: return "Lc inconsistent with P1/P2";
        case 0x6A88: return "referenced data not found";
        case 0x6B00: return "wrong P1/P2";
        case 0x6D00: return "instruction not supported";
        case 0x6E00: return "class not supported";
        case 0x6F00: return "no precise diagnosis";
        default: return "unknown status";
    }
}

std::string StatusWord::describe() const {
    char code[8];
    std::snprintf(code, sizeof code, "%04X", value);
    return std::string(code) + " " + name();
}

}  // namespace qscd
