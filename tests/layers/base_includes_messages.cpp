// Must not compile: the base layer reaching up into messages/.
#include "messages/codec.hpp"
