#include "qscd/pcsc/context.hpp"

#include "context_impl.hpp"
#include "qscd/pcsc/error_mapping.hpp"

namespace qscd::pcsc {

Context::Context() : impl_(std::make_shared<Impl>()) {
    SCARDCONTEXT handle = 0;
    check(SCardEstablishContext(SCARD_SCOPE_SYSTEM, nullptr, nullptr, &handle), "SCardEstablishContext");
    impl_->handle = handle;
}

Context::~Context() = default;

std::vector<std::string> Context::list_readers() const {
    // The list can change between the size query and the read: retry on a too-small buffer.
    for (int attempt = 0;; ++attempt) {
        DWORD size = 0;
        LONG rv = SCardListReaders(impl_->handle, nullptr, nullptr, &size);
        if (classify(rv) == ScardResult::NoReadersAvailable) return {};
        check(rv, "SCardListReaders");
        std::string buffer(size, '\0');
        rv = SCardListReaders(impl_->handle, nullptr, buffer.data(), &size);
        if (classify(rv) == ScardResult::NoReadersAvailable) return {};
        if (classify(rv) == ScardResult::InsufficientBuffer && attempt < 3) continue;
        check(rv, "SCardListReaders");
        buffer.resize(size);

        std::vector<std::string> readers;
        std::size_t pos = 0;
        while (pos < buffer.size() && buffer[pos] != '\0') {
            const std::size_t end = buffer.find('\0', pos);
            readers.push_back(buffer.substr(pos, end - pos));
            if (end == std::string::npos) break;
            pos = end + 1;
        }
        return readers;
    }
}

void Context::cancel() { check(SCardCancel(impl_->handle), "SCardCancel"); }

}  // namespace qscd::pcsc
