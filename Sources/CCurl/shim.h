// libcurl as seen from Swift: curl_easy_setopt, curl_multi_setopt and
// curl_easy_getinfo are variadic, which Swift cannot call, so each argument
// type gets a small typed wrapper.
#ifndef PORTICO_CCURL_SHIM_H
#define PORTICO_CCURL_SHIM_H
#include <curl/curl.h>

static inline CURLcode portico_curl_easy_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode portico_curl_easy_setopt_string(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode portico_curl_easy_setopt_pointer(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode portico_curl_easy_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode portico_curl_easy_setopt_blob(CURL *h, CURLoption o, struct curl_blob *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode portico_curl_easy_setopt_off_t(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode portico_curl_easy_setopt_write_callback(CURL *h, size_t (*cb)(char *, size_t, size_t, void *)) { return curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, cb); }
static inline CURLcode portico_curl_easy_setopt_header_callback(CURL *h, size_t (*cb)(char *, size_t, size_t, void *)) { return curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, cb); }
static inline CURLcode portico_curl_easy_setopt_read_callback(CURL *h, size_t (*cb)(char *, size_t, size_t, void *)) { return curl_easy_setopt(h, CURLOPT_READFUNCTION, cb); }
static inline CURLcode portico_curl_easy_getinfo_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode portico_curl_easy_getinfo_pointer(CURL *h, CURLINFO i, void **v) { return curl_easy_getinfo(h, i, v); }
static inline CURLMcode portico_curl_multi_setopt_long(CURLM *m, CURLMoption o, long v) { return curl_multi_setopt(m, o, v); }

// CURLMsg keeps its result in a union; these read it without Swift having to
// know the union's layout.
static inline int portico_curl_msg_is_done(const CURLMsg *m) { return m->msg == CURLMSG_DONE; }
static inline CURL *portico_curl_msg_easy_handle(const CURLMsg *m) { return m->easy_handle; }
static inline CURLcode portico_curl_msg_result(const CURLMsg *m) { return m->data.result; }

// Flags that are macros (not enum members) in curl.h.
static const unsigned int portico_curl_blob_copy = CURL_BLOB_COPY;
static const long portico_curl_http_version_2tls = CURL_HTTP_VERSION_2TLS;
static const long portico_curl_global_default = CURL_GLOBAL_DEFAULT;
#endif
