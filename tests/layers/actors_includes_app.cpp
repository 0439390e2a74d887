// Must not compile: actors/ reaching up into app/.
#include "app/daemon_options.hpp"
