// Must not compile: platform/ reaching up into actors/.
#include "actors/node.hpp"
