// libnghttp2 as seen from Swift: the system header plus nothing else.
#ifndef PORTICO_CNGHTTP2_SHIM_H
#define PORTICO_CNGHTTP2_SHIM_H
#include <nghttp2/nghttp2.h>
#endif
