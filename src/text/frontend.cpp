// To be written (issue 13, the wiring slice): see frontend.h.
#include "text/frontend.h"
