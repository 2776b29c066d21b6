# SPDX-License-Identifier: BSD-3-Clause
"""The real programs heaplab's preload malloc runs (build/host/libheaplab.so):
their inputs and commands, shared by tests/test_objects.py, which checks
that each prints the same on heaplab as plainly, and bench/objects.py, which
times them (make bench). Standard library only."""


PY_SCRIPT = """
import json, random
random.seed(5)
d = {str(i): [random.random() for _ in range(i % 40)] for i in range(15000)}
s = json.dumps(d, sort_keys=True)
back = json.loads(s)
words = sorted(''.join(random.choice('abcdef') for _ in range(random.randint(1, 30)))
               for _ in range(30000))
print(len(s), len(back), words[0], words[-1], sum(len(w) for w in words))
"""


C_FILE = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
struct node { struct node *l, *r; int key; };
static struct node *insert(struct node *t, int k)
{
	if (t == NULL) { t = calloc(1, sizeof *t); t->key = k; return t; }
	if (k < t->key) t->l = insert(t->l, k); else t->r = insert(t->r, k);
	return t;
}
static int depth(const struct node *t)
{
	int a, b;
	if (t == NULL) return 0;
	a = depth(t->l); b = depth(t->r);
	return 1 + (a > b ? a : b);
}
int main(void)
{
	struct node *t = NULL;
	for (int i = 0; i < 1000; i++) t = insert(t, (i * 7919) % 1009);
	printf("%d\n", depth(t));
	return 0;
}
"""


SQL = """
create table t(id integer primary key, name text, v real);
with recursive n(i) as (select 1 union all select i + 1 from n where i < 30000)
insert into t select i, printf('name-%08d', (i * 7919) % 30011), i * 0.5 from n;
create index t_name on t(name);
select count(*), sum(v), min(name), max(name) from t;
select substr(name, 1, 7) as p, count(*) from t group by p order by p limit 5;
select group_concat(name, ',') from (select name from t order by name desc limit 20);
"""


def million_lines():
    """A million distinct numbers, scrambled (i * 999983 mod the prime 1000003)."""
    return "".join("%x\n" % (i * 999983 % 1_000_003) for i in range(1_000_000))


def programs(root, work):
    """The programs as make bench times them: (name, argv, env, stdin bytes),
    run in the directory work, whose input files this writes; root is the
    repository (git's)."""
    (work / "tree.c").write_text(C_FILE)
    (work / "lines").write_text(million_lines())
    return [
        # PYTHONMALLOC=malloc: every object through malloc, not pymalloc's arenas
        ("python3 (json, sort)", ["/usr/bin/python3", "-c", PY_SCRIPT],
         {"PYTHONMALLOC": "malloc"}, None),
        ("gcc -O2 -S tree.c", ["gcc", "-O2", "-S", "-o", "-", "tree.c"], {}, None),
        ("sqlite3 script", ["sqlite3", ":memory:"], {}, SQL.encode()),
        ("sort 1,000,000 lines", ["sort", "lines"], {}, None),
        ("git log --stat -n 50", ["git", "-C", str(root), "log", "--stat", "-n", "50"], {}, None),
        ("git status", ["git", "-C", str(root), "status", "--porcelain",
                        "--untracked-files=no"], {}, None),
    ]
