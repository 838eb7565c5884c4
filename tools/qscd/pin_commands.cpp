// qscd pin change | unblock | status
#include <fmt/core.h>

#include "commands.hpp"
#include "qscd/error.hpp"
#include "session.hpp"

namespace qscd::cli {

namespace {

struct PinOptions {
    TokenChoice choice;
    bool admin = false;                // pin change --admin
    std::string with = "admin";        // pin unblock --with admin|reset-code
    std::optional<int> pin_fd, new_pin_fd, admin_pin_fd;
};

Pin read_new_pin(const PinOptions& o, const std::string& what) {
    Pin first = read_secret(o.new_pin_fd, "QSCD_NEW_PIN", "New " + what + ": ");
    if (o.new_pin_fd || std::getenv("QSCD_NEW_PIN")) return first;
    Pin again = read_secret(std::nullopt, "", "Repeat new " + what + ": ");
    if (!std::equal(first.bytes().begin(), first.bytes().end(), again.bytes().begin(), again.bytes().end()))
        throw Error(ErrorCode::InvalidPin, "the two new PINs differ; nothing was changed");
    return first;
}

void change(const GlobalOptions& global, const PinOptions& o) {
    auto token = open_token(global, o.choice);
    const PinRole role = o.admin ? PinRole::Admin : PinRole::User;
    const std::string name = to_string(role);
    const Pin current = o.admin ? read_secret(o.admin_pin_fd ? o.admin_pin_fd : o.pin_fd, "QSCD_ADMIN_PIN", "Current " + name + ": ")
                                : read_secret(o.pin_fd, "QSCD_PIN", "Current " + name + ": ");
    const Pin replacement = read_new_pin(o, name);
    token->change_pin(role, current, replacement);
    fmt::print("{} changed.\n", name);
}

void unblock(const GlobalOptions& global, const PinOptions& o) {
    auto token = open_token(global, o.choice);
    const bool with_admin = o.with == "admin";
    const Pin secret = with_admin ? read_secret(o.admin_pin_fd ? o.admin_pin_fd : o.pin_fd, "QSCD_ADMIN_PIN", "Admin PIN: ")
                                  : read_secret(o.pin_fd, "QSCD_RESET_CODE", "Resetting Code: ");
    const Pin replacement = read_new_pin(o, "User PIN");
    token->unblock_pin(with_admin ? PinRole::Admin : PinRole::ResetCode, secret, replacement);
    fmt::print("User PIN unblocked and set.\n");
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

    auto* change_cmd = pin->add_subcommand("change", "change the User PIN (or with --admin the Admin PIN)");
    common(change_cmd);
    change_cmd->add_flag("--admin", o->admin, "change the Admin PIN instead of the User PIN");
    change_cmd->callback([&global, o] { change(global, *o); });

    auto* unblock_cmd = pin->add_subcommand("unblock", "unblock the User PIN and set a new one");
    common(unblock_cmd);
    unblock_cmd->add_option("--with", o->with, "what authorises the unblock")
        ->check(CLI::IsMember({"admin", "reset-code"}))
        ->capture_default_str();
    unblock_cmd->callback([&global, o] { unblock(global, *o); });

    auto* status_cmd = pin->add_subcommand("status", "show the tries left for each PIN");
    add_token_options(status_cmd, o->choice);
    status_cmd->callback([&global, o] { status(global, *o); });
}

}  // namespace qscd::cli
