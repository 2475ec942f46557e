// SPDX-License-Identifier: MIT
/*
 * Unit tests of the metrics endpoints' HTTP helpers (userspace/lib/http.c):
 * the request parser's verdicts, the answer builder, and the allow-list
 * (metrics_allow) parser and matcher.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "http.h"
#include "net.h"

static int parse(const char *s, struct sl_http_req *req)
{
	return sl_http_parse(s, strlen(s), req);
}

static void test_parse_get(void **state)
{
	struct sl_http_req req;
	const char *s = "GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\n\r\n";

	(void)state;
	assert_int_equal(parse(s, &req), (int)strlen(s));
	assert_int_equal(req.method, SL_HTTP_GET);
	assert_string_equal(req.path, "/metrics");
}

static void test_parse_verdicts(void **state)
{
	struct sl_http_req req;
	char big[SL_HTTP_REQ_MAX + 16];

	(void)state;
	assert_int_equal(parse("GET /metrics HTTP/1.1\r\n", &req), 0);
	assert_int_equal(parse("garbage\r\n\r\n", &req), -400);
	assert_int_equal(parse("GET /m HTTP/2.0\r\n\r\n", &req), -505);
	assert_int_equal(parse("POST /m HTTP/1.0\r\n\r\n", &req), (int)strlen("POST /m HTTP/1.0\r\n\r\n"));
	assert_int_equal(req.method, SL_HTTP_OTHER);
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	assert_int_equal(sl_http_parse(big, sizeof(big), &req), -431);
}

static void test_answer(void **state)
{
	size_t len;
	char *a = sl_http_answer(405, "text/plain", "no\n", 3, false, &len);

	(void)state;
	assert_non_null(a);
	assert_true(len > 3);
	assert_memory_equal(a, "HTTP/1.1 405 Method Not Allowed\r\n", 33);
	assert_non_null(memmem(a, len, "Content-Length: 3\r\n", 19));
	assert_non_null(memmem(a, len, "Allow: GET, HEAD\r\n", 18));
	assert_memory_equal(a + len - 7, "\r\n\r\nno\n", 7);
	free(a);
	/* HEAD: the length of the body, no body. */
	a = sl_http_answer(200, "text/plain", "abc", 3, true, &len);
	assert_non_null(a);
	assert_non_null(memmem(a, len, "Content-Length: 3\r\n", 19));
	assert_memory_equal(a + len - 4, "\r\n\r\n", 4);
	free(a);
}

static struct sockaddr_storage v4(const char *s)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;

	in->sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, s, &in->sin_addr), 1);
	return ss;
}

static struct sockaddr_storage v6(const char *s)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

	in6->sin6_family = AF_INET6;
	assert_int_equal(inet_pton(AF_INET6, s, &in6->sin6_addr), 1);
	return ss;
}

static void test_allow(void **state)
{
	struct sl_cidr list[SL_CIDR_LIST_MAX];
	struct sockaddr_storage ss;
	unsigned int n = 0;
	char why[200];

	(void)state;
	assert_int_equal(sl_cidr_list_parse("10.0.0.0/8, ::1 192.168.1.7", list, &n,
					     why, sizeof(why)), 0);
	assert_int_equal(n, 3);
	ss = v4("10.200.3.4");
	assert_true(sl_cidr_match(list, n, (struct sockaddr *)&ss));
	ss = v4("11.0.0.1");
	assert_false(sl_cidr_match(list, n, (struct sockaddr *)&ss));
	ss = v4("192.168.1.7");
	assert_true(sl_cidr_match(list, n, (struct sockaddr *)&ss));
	ss = v4("192.168.1.8");
	assert_false(sl_cidr_match(list, n, (struct sockaddr *)&ss));
	ss = v6("::1");
	assert_true(sl_cidr_match(list, n, (struct sockaddr *)&ss));
	/* IPv4-mapped sources match IPv4 entries. */
	ss = v6("::ffff:10.1.2.3");
	assert_true(sl_cidr_match(list, n, (struct sockaddr *)&ss));
	ss = v6("::2");
	assert_false(sl_cidr_match(list, n, (struct sockaddr *)&ss));
}

static void test_allow_refuses(void **state)
{
	static const char *const bad[] = { "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/x",
					    "10.0.0.0/8x", "nowhere", "/8" };
	struct sl_cidr list[SL_CIDR_LIST_MAX];
	unsigned int i, n;
	char why[200];

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = 0;
		assert_int_equal(sl_cidr_list_parse(bad[i], list, &n, why, sizeof(why)), -EINVAL);
		assert_non_null(strstr(why, bad[i]));
	}
	/* At most SL_CIDR_LIST_MAX entries. */
	n = 0;
	for (i = 0; i < SL_CIDR_LIST_MAX; i++)
		assert_int_equal(sl_cidr_list_parse("127.0.0.1", list, &n, why, sizeof(why)), 0);
	assert_int_equal(sl_cidr_list_parse("127.0.0.1", list, &n, why, sizeof(why)), -EINVAL);
	assert_int_equal(n, SL_CIDR_LIST_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_get),
		cmocka_unit_test(test_parse_verdicts),
		cmocka_unit_test(test_answer),
		cmocka_unit_test(test_allow),
		cmocka_unit_test(test_allow_refuses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
