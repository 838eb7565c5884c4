// Readers whose PC/SC part 10 announcements cannot be taken at their word, as data: one table row
// per reader model (matched by the start of the reader name pcscd shows), with where the fact comes
// from. The transport consults it before offering a PIN pad; nothing else special-cases readers.
#pragma once

#include <string>
#include <string_view>

namespace qscd::pcsc {

struct ReaderQuirks {
    bool pin_pad_unusable = false;        // announces VERIFY_PIN_DIRECT but the keypad path does not work
    bool no_variable_length_pin = false;  // its keypad only fills fixed-size PIN blocks (bmPINBlockString 0)
    std::string why;                      // the model and the source, for messages
};

// The quirks of the reader named `reader_name` ("Dell Smart Card Reader Keyboard 00 00"); none for a
// reader the table does not know.
ReaderQuirks quirks_for(std::string_view reader_name);

}  // namespace qscd::pcsc
