// qscd pin change | unblock | status
#include <fmt/core.h>

#include <algorithm>
#include <cctype>

#include "commands.hpp"
#include "qscd/error.hpp"
#include "session.hpp"

namespace qscd::cli {

namespace {

struct PinOptions {
    TokenChoice choice;
    bool admin = false;                // pin change --admin
    std::string which;                 // the card's name of the PIN (ID cards: PIN1, PIN2, PUK); default: the User PIN
    std::string with;                  // pin unblock --with admin|reset-code|puk (default: admin; puk on an ID card)
    std::optional<int> pin_fd, new_pin_fd, admin_pin_fd;
    bool pin_pad = false;              // pin change --pin-pad: both PINs typed on the reader's keypad
};

Pin read_new_pin(const PinOptions& o, const std::string& what) {
    Pin first = read_secret(o.new_pin_fd, "QSCD_NEW_PIN", "New " + what + ": ");
    if (o.new_pin_fd || std::getenv("QSCD_NEW_PIN")) return first;
    Pin again = read_secret(std::nullopt, "", "Repeat new " + what + ": ");
    if (!std::equal(first.bytes().begin(), first.bytes().end(), again.bytes().begin(), again.bytes().end()))
        throw Error(ErrorCode::InvalidPin, "the two new PINs differ; nothing was changed");
    return first;
}

bool same_name(std::string_view a, std::string_view b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                      [](char x, char y) { return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y)); });
}

struct ChosenPin {
    PinRole role = PinRole::User;
    std::string name;
};

// A PIN by the card's own name (--which PIN1), or by role: the User PIN is, on an ID card, the PIN the
// signature key asks for (PIN2).
ChosenPin choose_pin(const std::vector<PinStatus>& pins, const std::string& which, PinRole role) {
    if (!which.empty()) {
        std::string names;
        for (const PinStatus& p : pins) {
            if (same_name(p.name, which)) return {p.role, p.name};
            names += (names.empty() ? "" : ", ") + p.name;
        }
        throw Error(ErrorCode::InvalidArgument, "this token has no PIN named '" + which + "' (its PINs: " + names + ")");
    }
    for (const PinStatus& p : pins)
        if (p.role == role) return {p.role, p.name};
    if (role == PinRole::User)
        for (const PinStatus& p : pins)
            if (p.role == PinRole::SignaturePin) return {p.role, p.name};
    return {role, to_string(role)};
}

bool has_role(const std::vector<PinStatus>& pins, PinRole role) {
    return std::any_of(pins.begin(), pins.end(), [&](const PinStatus& p) { return p.role == role; });
}

void change(const GlobalOptions& global, const PinOptions& o) {
    auto token = open_token(global, o.choice);
    const ChosenPin pin = choose_pin(token->pin_status(), o.which, o.admin ? PinRole::Admin : PinRole::User);
    if (o.pin_pad) {
        token->change_pin_on_pin_pad(pin.role);
        fmt::print("{} changed on the reader's PIN pad.\n", pin.name);
        return;
    }
    const bool admin = pin.role == PinRole::Admin;
    const Pin current = admin ? read_secret(o.admin_pin_fd ? o.admin_pin_fd : o.pin_fd, "QSCD_ADMIN_PIN", "Current " + pin.name + ": ")
                              : read_secret(o.pin_fd, "QSCD_PIN", "Current " + pin.name + ": ");
    const Pin replacement = read_new_pin(o, pin.name);
    token->change_pin(pin.role, current, replacement);
    fmt::print("{} changed.\n", pin.name);
}

void unblock(const GlobalOptions& global, const PinOptions& o) {
    auto token = open_token(global, o.choice);
    const std::vector<PinStatus> pins = token->pin_status();
    const ChosenPin target = choose_pin(pins, o.which, PinRole::User);
    // An ID card without a PUK (the Finnish card): no PIN of it can be unblocked, and no Admin PIN is asked for.
    if (o.with.empty() && has_role(pins, PinRole::SignaturePin) && !has_role(pins, PinRole::Puk))
        throw Error(ErrorCode::NotSupported, target.name + " cannot be unblocked: this card has no PUK");
    const std::string with = !o.with.empty() ? o.with : has_role(pins, PinRole::Puk) ? "puk" : "admin";
    Pin secret;
    PinRole authority = PinRole::Admin;
    if (with == "admin") {
        secret = read_secret(o.admin_pin_fd ? o.admin_pin_fd : o.pin_fd, "QSCD_ADMIN_PIN", "Admin PIN: ");
    } else if (with == "reset-code") {
        authority = PinRole::ResetCode;
        secret = read_secret(o.pin_fd, "QSCD_RESET_CODE", "Resetting Code: ");
    } else {
        authority = PinRole::Puk;
        secret = read_secret(o.pin_fd, "QSCD_PUK", choose_pin(pins, "", PinRole::Puk).name + ": ");
    }
    const Pin replacement = read_new_pin(o, target.name);
    token->reset_pin(target.role, authority, secret, replacement);
    fmt::print("{} unblocked and set.\n", target.name);
}

void status(const GlobalOptions& global, const PinOptions& o) {
    auto token = open_token(global, o.choice);
    for (const PinStatus& pin : token->pin_status())
        fmt::print("{:<16} {}\n", pin.name + ":", pin.tries_left == 0 ? (pin.role == PinRole::ResetCode ? "not set or blocked" : "BLOCKED")
                                                                   : tries_left_text(pin.tries_left));
}

}  // namespace

void add_pin_commands(CLI::App& app, GlobalOptions& global) {
    auto* pin = app.add_subcommand("pin", "PIN management");
    pin->require_subcommand(1);
    auto o = std::make_shared<PinOptions>();
    auto common = [o](CLI::App* cmd) {
        add_token_options(cmd, o->choice);
        cmd->add_option("--pin-fd", o->pin_fd, "read the current PIN / secret from this file descriptor");
        cmd->add_option("--new-pin-fd", o->new_pin_fd, "read the new PIN from this file descriptor (else QSCD_NEW_PIN, else the terminal)");
        cmd->add_option("--admin-pin-fd", o->admin_pin_fd, "read the Admin PIN from this file descriptor (else QSCD_ADMIN_PIN)");
    };

    auto* change_cmd = pin->add_subcommand("change", "change the User PIN (or with --admin the Admin PIN, with --which an ID card's PIN1, PIN2 or PUK)");
    common(change_cmd);
    change_cmd->add_option("--which", o->which, "the PIN by the card's name (ID cards: PIN1, PIN2, PUK; default: the PIN that signs)");
    change_cmd->add_flag("--admin", o->admin, "change the Admin PIN instead of the User PIN");
    change_cmd->add_flag("--pin-pad", o->pin_pad, "type the current and the new PIN (twice) on the reader's keypad "
                                                  "(PC/SC part 10 PIN pad); the host never sees them")
        ->excludes("--pin-fd")
        ->excludes("--new-pin-fd");
    change_cmd->callback([&global, o] { change(global, *o); });

    auto* unblock_cmd = pin->add_subcommand("unblock", "unblock the User PIN (an ID card's PIN1 or PIN2 with --which) and set a new one");
    common(unblock_cmd);
    unblock_cmd->add_option("--which", o->which, "the PIN to unblock by the card's name (ID cards: PIN1, PIN2; default: the PIN that signs)");
    unblock_cmd->add_option("--with", o->with, "what authorises the unblock (default: admin; puk on an ID card)")
        ->check(CLI::IsMember({"admin", "reset-code", "puk"}));
    unblock_cmd->callback([&global, o] { unblock(global, *o); });

    auto* status_cmd = pin->add_subcommand("status", "show the tries left for each PIN");
    add_token_options(status_cmd, o->choice);
    status_cmd->callback([&global, o] { status(global, *o); });
}

}  // namespace qscd::cli
