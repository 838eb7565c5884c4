// Moved to the public include directory: the CLI writes signatures with it too.
#pragma once
#include "qscd/atomic_file.hpp"
