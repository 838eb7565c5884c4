#include "id_card_application.hpp"

#include <algorithm>

#include "qscd/error.hpp"
#include "qscd/signing/crypto.hpp"
#include "qscd/signing/hashing.hpp"

namespace qscd::idcard {

namespace {

constexpr std::uint8_t kCla = 0x00;
constexpr std::uint8_t kInsSelect = 0xA4, kInsReadBinary = 0xB0, kInsVerify = 0x20, kInsChange = 0x24,
                       kInsResetRetryCounter = 0x2C, kInsMse = 0x22, kInsPso = 0x2A, kInsInternalAuthenticate = 0x88,
                       kInsGetDataOdd = 0xCB;
constexpr std::uint32_t kLeMax = 256;  // Le = 00: "as much as possible" (ISO 7816-4 §5.1)

// The one place where an ID card's status words become errors (ISO 7816-4 §5.6).
[[noreturn]] void throw_status(StatusWord sw, const std::string& operation) {
    const std::string what = operation + ": card answered " + sw.describe();
    switch (sw.value) {
        case 0x6982: throw Error(ErrorCode::PinRequired, what, std::nullopt, sw);
        case 0x6983: throw Error(ErrorCode::PinBlocked, what, 0, sw);
        case 0x6A88:
        case 0x6A82: throw Error(ErrorCode::NotFound, what, std::nullopt, sw);
        case 0x6D00:
        case 0x6E00:
        case 0x6A81: throw Error(ErrorCode::NotSupported, what, std::nullopt, sw);
        default: throw Error(ErrorCode::CardError, what, std::nullopt, sw);
    }
}

void expect_success(const ResponseApdu& r, const std::string& operation) {
    if (!r.is_success()) throw_status(r.sw, operation);
}

std::size_t field_size(profiles::KeyAlgorithm algorithm) {
    switch (algorithm) {
        case profiles::KeyAlgorithm::EcP256: return 32;
        case profiles::KeyAlgorithm::EcP384: return 48;
        case profiles::KeyAlgorithm::Rsa2048: return 0;
    }
    return 0;
}

}  // namespace

KeyType key_type_of(profiles::KeyAlgorithm algorithm) {
    switch (algorithm) {
        case profiles::KeyAlgorithm::EcP256: return KeyType::EcP256;
        case profiles::KeyAlgorithm::EcP384: return KeyType::EcP384;
        case profiles::KeyAlgorithm::Rsa2048: return KeyType::Rsa2048;
    }
    return KeyType::EcP384;
}

SecureBytes pin_block(const profiles::PinProfile& pin, const Pin& value, const std::string& what) {
    const profiles::PinFormat& f = pin.format;
    const std::string name = what.empty() ? std::string(pin.name) : what;
    if (value.size() < f.min_length || value.size() > f.max_length)
        throw Error(ErrorCode::InvalidPin, name + " must have " + std::to_string(f.min_length) + " to " + std::to_string(f.max_length) +
                                               " digits; nothing was sent to the card");
    if (!std::all_of(value.bytes().begin(), value.bytes().end(), [](std::uint8_t c) { return c >= '0' && c <= '9'; }))
        throw Error(ErrorCode::InvalidPin, name + " must be digits only; nothing was sent to the card");
    SecureBytes block(value.bytes().begin(), value.bytes().end());
    if (f.stored_length > block.size()) block.resize(f.stored_length, f.pad_byte);
    return block;
}

Bytes pin_pad_verify_structure(const profiles::PinProfile& pin) {
    const profiles::PinFormat& f = pin.format;
    PinPadFormat format;
    format.encoding = PinPadFormat::Encoding::Ascii;
    format.block_bytes = f.stored_length;  // 0: unpadded, the reader sets Lc
    format.min_digits = f.min_length;
    format.max_digits = f.max_length;
    const std::uint8_t header[4] = {kCla, kInsVerify, 0x00, pin.reference};
    return pin_verify_structure(header, format, f.pad_byte);
}

Bytes pin_pad_modify_structure(const profiles::PinProfile& pin) {
    const profiles::PinFormat& f = pin.format;
    PinPadFormat format;
    format.encoding = PinPadFormat::Encoding::Ascii;
    format.block_bytes = f.stored_length;
    format.min_digits = f.min_length;
    format.max_digits = f.max_length;
    const std::uint8_t header[4] = {kCla, kInsChange, 0x00, pin.reference};
    return pin_modify_structure(header, format, f.pad_byte);
}

Bytes signature_input(const profiles::KeyProfile& key, HashAlgorithm hash, ByteView digest) {
    if (!key.hash_sizes.empty() && std::find(key.hash_sizes.begin(), key.hash_sizes.end(), digest.size()) == key.hash_sizes.end())
        throw Error(ErrorCode::NotSupported, std::string("the card does not take a ") + to_string(hash) + " hash for its " +
                                                 std::string(key.name));
    if (key.digest_info) return digest_info(hash, digest);
    Bytes input(digest.begin(), digest.end());
    if (key.input_length != 0 && key.algorithm != profiles::KeyAlgorithm::Rsa2048) {
        if (input.size() < key.input_length) input.insert(input.begin(), key.input_length - input.size(), 0x00);
        else input.resize(key.input_length);
    }
    return input;
}

IdCardApplication::IdCardApplication(Transport& transport, const profiles::CardProfile& profile)
    : channel_(transport), profile_(profile) {}

ResponseApdu IdCardApplication::send(const CommandApdu& command) {
    // Any SELECT but select_application's own (a file by path may change the current DF) leaves the
    // selection unknown; so does a failed exchange.
    if (command.ins == kInsSelect) selected_.reset();
    return channel_.transmit(command);
}

ResponseApdu IdCardApplication::send_secret(CommandApdu command) {
    try {
        ResponseApdu r = channel_.transmit(command);
        secure_zero(command.data.data(), command.data.size());
        return r;
    } catch (...) {
        secure_zero(command.data.data(), command.data.size());
        throw;
    }
}

void IdCardApplication::select_application(std::size_t index) {
    const profiles::Application& app = profile_.applications[index];
    CommandApdu select = app.aid.empty() ? CommandApdu(kCla, kInsSelect, 0x00, 0x0C)
                                         : CommandApdu(kCla, kInsSelect, 0x04, 0x0C, Bytes(app.aid.begin(), app.aid.end()));
    expect_success(send(select), "SELECT " + std::string(app.name));
    selected_ = index;
}

void IdCardApplication::ensure_selected(std::size_t index) {
    if (selected_ != index) select_application(index);
}

bool IdCardApplication::confirm() {
    for (std::size_t i = 0; i < profile_.applications.size(); ++i) {
        const profiles::Application& app = profile_.applications[i];
        if (app.aid.empty()) continue;
        return send(CommandApdu(kCla, kInsSelect, 0x04, 0x0C, Bytes(app.aid.begin(), app.aid.end()))).is_success();
    }
    return false;
}

namespace {

Bytes read_range(IdCardApplication& app, std::size_t length, std::size_t block) {
    Bytes out;
    while (out.size() < length) {
        const std::size_t offset = out.size();
        if (offset > 0x7FFF) throw Error(ErrorCode::ProtocolError, "file longer than READ BINARY can address");
        const auto n = static_cast<std::uint32_t>(std::min(block, length - offset));
        const ResponseApdu r = app.channel().transmit(
            CommandApdu(kCla, kInsReadBinary, static_cast<std::uint8_t>(offset >> 8), static_cast<std::uint8_t>(offset), {}, n));
        // 6282: fewer bytes than asked (end of file); anything else but 9000 is a failure.
        if (!r.is_success() && r.sw.value != 0x6282) throw_status(r.sw, "READ BINARY");
        if (r.data.empty()) throw Error(ErrorCode::ProtocolError, "READ BINARY returned no data before the end of the file");
        out.insert(out.end(), r.data.begin(), r.data.end());
    }
    out.resize(length);
    return out;
}

}  // namespace

std::optional<Bytes> IdCardApplication::read_certificate(const profiles::FileProfile& file) {
    switch (profile_.file_selection) {
        case profiles::FileSelection::MainThenRelative:
            select_application(0);
            expect_success(send(CommandApdu(kCla, kInsSelect, 0x09, 0x0C, Bytes(file.path.begin(), file.path.end()))),
                           "SELECT " + std::string(file.name));
            break;
        case profiles::FileSelection::AidThenMfPath:
            // libelectronic-id FinEID.cpp: the PKCS#15 application by AID, then the EF by its path from the MF
            // with the FCP asked for (00 A4 08 04 <path> 00).
            select_application(profile_.file_application);
            expect_success(send(CommandApdu(kCla, kInsSelect, 0x08, 0x04, Bytes(file.path.begin(), file.path.end()), kLeMax)),
                           "SELECT " + std::string(file.name));
            break;
    }
    const ResponseApdu head = send(CommandApdu(kCla, kInsReadBinary, 0x00, 0x00, {}, 4));
    // An empty EF (a card not yet personalised) answers "offset outside the file" or no data.
    if (head.sw.value == 0x6B00 || (head.is_success() && head.data.empty())) return std::nullopt;
    if (!head.is_success() && head.sw.value != 0x6282) throw_status(head.sw, "READ BINARY");
    const Bytes& h = head.data;
    // X.690 §8.1.3: a certificate is SEQUENCE with a long-form length.
    std::size_t length = 0;
    if (h.size() >= 3 && h[0] == 0x30 && h[1] == 0x81) length = 3 + h[2];
    else if (h.size() >= 4 && h[0] == 0x30 && h[1] == 0x82) length = 4 + static_cast<std::size_t>(h[2] << 8 | h[3]);
    else throw Error(ErrorCode::ProtocolError, std::string(file.name) + " does not hold a DER certificate");
    const std::size_t block = profile_.read_binary_max ? profile_.read_binary_max : 256;
    return read_range(*this, length, block);
}

std::optional<std::string> IdCardApplication::read_document_number() {
    for (const profiles::FileProfile& file : profile_.files) {
        if (file.kind != profiles::FileKind::DocumentNumber) continue;
        select_application(0);
        expect_success(send(CommandApdu(kCla, kInsSelect, 0x09, 0x0C, Bytes(file.path.begin(), file.path.end()))),
                       "SELECT " + std::string(file.name));
        const ResponseApdu r = send(CommandApdu(kCla, kInsReadBinary, 0x00, 0x00, {}, kLeMax));
        if (!r.is_success() && r.sw.value != 0x6282) throw_status(r.sw, "READ BINARY " + std::string(file.name));
        // Tag 04 (OCTET STRING) holds the number (OpenSC pkcs15-esteid2018.c takes it as the serial).
        const Bytes& d = r.data;
        if (d.size() < 2 || d[0] != 0x04 || d[1] > d.size() - 2) throw Error(ErrorCode::ProtocolError, "malformed document number");
        std::string number(d.begin() + 2, d.begin() + 2 + d[1]);
        while (!number.empty() && (number.back() == ' ' || number.back() == '\0')) number.pop_back();
        return number;
    }
    return std::nullopt;
}

int IdCardApplication::tries_left(const profiles::PinProfile& pin) {
    select_application(pin.application);
    switch (profile_.retries) {
        case profiles::RetryReporting::GetDataIdemia: {
            // GET DATA (odd) 00 CB 3F FF 0A 4D 08 70 06 BF 81 <ref & 0F> 02 A0 80 00: the tries left are
            // byte 13 of the answer (9B 01 <left>), the maximum byte 10 (9A 01 <max>): OpenSC
            // card-esteid2018.c, libelectronic-id EIDIDEMIA.cpp.
            const Bytes query{0x4D, 0x08, 0x70, 0x06, 0xBF, 0x81, static_cast<std::uint8_t>(pin.reference & 0x0F), 0x02, 0xA0, 0x80};
            const ResponseApdu r = send(CommandApdu(kCla, kInsGetDataOdd, 0x3F, 0xFF, query, kLeMax));
            expect_success(r, "GET DATA (" + std::string(pin.name) + " tries)");
            if (r.data.size() < 14 || r.data[8] != 0x9A || r.data[11] != 0x9B)
                throw Error(ErrorCode::ProtocolError, "GET DATA (" + std::string(pin.name) + " tries): unexpected answer " + to_hex(r.data));
            return r.data[13];
        }
        case profiles::RetryReporting::GetDataFineid: {
            // GET DATA 00 CB 00 FF 05 A0 03 83 01 <ref> 00: the first byte of DF21 (libelectronic-id FinEID.cpp).
            const Bytes query{0xA0, 0x03, 0x83, 0x01, pin.reference};
            const ResponseApdu r = send(CommandApdu(kCla, kInsGetDataOdd, 0x00, 0xFF, query, kLeMax));
            expect_success(r, "GET DATA (" + std::string(pin.name) + " tries)");
            for (std::size_t i = 0; i + 3 < r.data.size(); ++i)
                if (r.data[i] == 0xDF && r.data[i + 1] == 0x21 && r.data[i + 2] >= 1) return r.data[i + 3];
            throw Error(ErrorCode::ProtocolError, "GET DATA (" + std::string(pin.name) + " tries): no DF21 in the answer");
        }
        case profiles::RetryReporting::EmptyVerify63Cx: {
            // VERIFY without data (ISO 7816-4 §11.5.6): 63Cx = x tries left, 9000 = verified already.
            const ResponseApdu r = send(CommandApdu(kCla, kInsVerify, 0x00, pin.reference));
            if (r.sw.is_counter()) return r.sw.counter();
            if (r.sw == sw::kAuthenticationBlocked) return 0;
            if (r.is_success()) return pin.max_tries;
            throw_status(r.sw, "VERIFY (" + std::string(pin.name) + " status)");
        }
    }
    throw Error(ErrorCode::NotSupported, "unknown retry reporting");
}

void IdCardApplication::refused(const profiles::PinProfile& pin, StatusWord status, const std::string& operation) {
    const std::string name(pin.name);
    if (status.is_counter()) {
        const int tries = status.counter();
        if (tries == 0) throw Error(ErrorCode::PinBlocked, "wrong " + name + "; it is now blocked", 0, status);
        throw Error(ErrorCode::WrongPin, "wrong " + name + ", " + tries_left_text(tries), tries, status);
    }
    if (status == sw::kAuthenticationBlocked)
        throw Error(ErrorCode::PinBlocked, name + " is blocked; unblock it with the PUK", 0, status);
    if (status == sw::kWrongLength || status == sw::kIncorrectData)
        throw Error(ErrorCode::InvalidPin, operation + ": the card refused the " + name + " format", std::nullopt, status);
    throw_status(status, operation + " " + name);
}

void IdCardApplication::verify(const profiles::PinProfile& pin, const Pin& value) {
    const SecureBytes block = pin_block(pin, value, "");
    const ResponseApdu r = send_secret(CommandApdu(kCla, kInsVerify, 0x00, pin.reference, Bytes(block.begin(), block.end())));
    if (!r.is_success()) refused(pin, r.sw, "VERIFY");
}

void IdCardApplication::verify_on_pin_pad(const profiles::PinProfile& pin, PinPad& pad) {
    const StatusWord status = pad.verify_pin_direct(pin_pad_verify_structure(pin));
    check_pin_pad_status(status);
    if (status != sw::kSuccess) refused(pin, status, "VERIFY (PIN pad)");
}

void IdCardApplication::change_on_pin_pad(const profiles::PinProfile& pin, PinPad& pad) {
    const StatusWord status = pad.modify_pin_direct(pin_pad_modify_structure(pin));
    check_pin_pad_status(status);
    if (status != sw::kSuccess) refused(pin, status, "CHANGE REFERENCE DATA (PIN pad)");
}

void IdCardApplication::change_reference_data(const profiles::PinProfile& pin, const Pin& current, const Pin& replacement) {
    SecureBytes data = pin_block(pin, current, "current " + std::string(pin.name));
    const SecureBytes fresh = pin_block(pin, replacement, "new " + std::string(pin.name));
    data.insert(data.end(), fresh.begin(), fresh.end());
    const ResponseApdu r = send_secret(CommandApdu(kCla, kInsChange, 0x00, pin.reference, Bytes(data.begin(), data.end())));
    if (!r.is_success()) refused(pin, r.sw, "CHANGE REFERENCE DATA");
}

void IdCardApplication::reset_retry_counter(const profiles::PinProfile& pin, const Pin& replacement) {
    const SecureBytes block = pin_block(pin, replacement, "new " + std::string(pin.name));
    const ResponseApdu r = send_secret(CommandApdu(kCla, kInsResetRetryCounter, 0x02, pin.reference, Bytes(block.begin(), block.end())));
    if (r.sw == sw::kWrongLength || r.sw == sw::kIncorrectData)
        throw Error(ErrorCode::InvalidPin, "the card refused the new " + std::string(pin.name), std::nullopt, r.sw);
    expect_success(r, "RESET RETRY COUNTER " + std::string(pin.name));
}

const profiles::MseTemplate* mse_form(const profiles::KeyProfile& key, std::size_t hash_size) {
    for (const profiles::MseTemplate& t : key.mse)
        if (t.hash_size == hash_size) return &t;
    for (const profiles::MseTemplate& t : key.mse)
        if (t.hash_size == 0) return &t;
    return nullptr;
}

void IdCardApplication::set_security_environment(const profiles::KeyProfile& key, std::size_t hash_size) {
    if (key.mse.empty()) return;
    const profiles::MseTemplate* form = mse_form(key, hash_size);
    if (!form)
        throw Error(ErrorCode::NotSupported, "the card has no security environment for a " + std::to_string(hash_size) +
                                                 "-byte hash with its " + std::string(key.name));
    const profiles::MseTemplate& t = *form;
    expect_success(send(CommandApdu(kCla, kInsMse, t.p1, t.p2, Bytes(t.data.begin(), t.data.end()))),
                   "MSE SET (" + std::string(key.name) + ")");
}

Bytes IdCardApplication::compute_signature(const profiles::KeyProfile& key, HashAlgorithm hash, ByteView digest) {
    const Bytes input = signature_input(key, hash, digest);
    const std::uint32_t le = key.signature_le ? key.signature_le : kLeMax;
    ResponseApdu r;
    switch (key.request) {
        case profiles::SignatureRequest::PsoCdsWithHash:
            r = send(CommandApdu(kCla, kInsPso, 0x9E, 0x9A, input, le));
            expect_success(r, "PSO:COMPUTE DIGITAL SIGNATURE");
            break;
        case profiles::SignatureRequest::PsoHashThenCds: {
            // PSO:HASH 00 2A 90 A0 <90 len hash>, then PSO:CDS without data (ISO 7816-8 §5.4/§5.5).
            Bytes data{0x90, static_cast<std::uint8_t>(input.size())};
            data.insert(data.end(), input.begin(), input.end());
            expect_success(send(CommandApdu(kCla, kInsPso, 0x90, 0xA0, data)), "PSO:HASH");
            r = send(CommandApdu(kCla, kInsPso, 0x9E, 0x9A, {}, le));
            expect_success(r, "PSO:COMPUTE DIGITAL SIGNATURE");
            break;
        }
        case profiles::SignatureRequest::InternalAuthenticate:
            r = send(CommandApdu(kCla, kInsInternalAuthenticate, 0x00, 0x00, input, le));
            expect_success(r, "INTERNAL AUTHENTICATE");
            break;
    }
    Bytes signature = std::move(r.data);
    const std::size_t field = field_size(key.algorithm);
    switch (key.encoding) {
        case profiles::SignatureEncoding::RawRS: break;
        case profiles::SignatureEncoding::Der: signature = ecdsa_der_to_raw(signature, field); break;
        case profiles::SignatureEncoding::Pkcs1v15: break;
    }
    const std::size_t expected = field ? 2 * field : key_bits(key_type_of(key.algorithm)) / 8;
    if (signature.size() != expected)
        throw Error(ErrorCode::ProtocolError, "card returned a " + std::to_string(signature.size()) + "-byte signature, expected " +
                                                  std::to_string(expected));
    return signature;
}

}  // namespace qscd::idcard
