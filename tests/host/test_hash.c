// SPDX-License-Identifier: BSD-3-Clause
// cmocka test of the replay's ID-table hash (replay_hash): SipHash-1-3, the
// hash CPython gives bytes. The expected values are CPython 3.11's
// hash(b"...") as an unsigned 64-bit number: under PYTHONHASHSEED=0 its key
// is zero; under PYTHONHASHSEED=1 it is 16 bytes of CPython's LCG from 1
// (x = x * 214013 + 2531011, each byte x >> 16), little-endian.
#include "testutil.h"

#include "../../replay/replay.h"

#include <string.h>

static void check(const uint64_t key[2], const char *s, int64_t want)
{
	assert_int_equal(replay_hash(key, s, strlen(s)), (uint64_t)want);
}

static void test_zero_key(void **state)
{
	static const uint64_t key[2] = {0, 0};

	(void)state;
	check(key, "a", 4644417185603328019);
	check(key, "abcdefgh", 4574395652268504554);	      // one whole word
	check(key, "abcdefghijklmnopq", 7044894726457044172); // two, and a tail
}

static void test_keyed(void **state)
{
	static const uint64_t key[2] = {0xaed66ce184be2329ull, 0xebe9bbf1f1499052ull};

	(void)state;
	check(key, "heaplab", 5556071915935145475);
	check(key, "0123456789abcdef", 3673576830174574914);
}

// The key changes where an ID goes: the whole point of it.
static void test_key_matters(void **state)
{
	static const uint64_t a[2] = {1, 2}, b[2] = {1, 3};

	(void)state;
	assert_true(replay_hash(a, "id", 2) != replay_hash(b, "id", 2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_zero_key),
	    cmocka_unit_test(test_keyed),
	    cmocka_unit_test(test_key_matters),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
