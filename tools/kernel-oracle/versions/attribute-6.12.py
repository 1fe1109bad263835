#!/usr/bin/env python3
"""Why Linux 6.12 answers the corpus differently from 7.2: every differing line is either a
direct cause (the rules in cause(), one per kernel change, see ../VERSIONS.md) or a cascade of
one (an earlier op created, or failed to create, an object on one kernel only). Cascades are
checked, not assumed: `write` makes a counterfactual copy of each differing list in which every
direct-cause line that failed on 6.12 is replaced by an op that fails on both kernels without
side effects (`destroy 0`, keeping its `name =`), so recorded on 7.2 the copy must print what
6.12 printed on every other line; `table` checks that and prints the class table.

  attribute-6.12.py write REF OTHER CF     REF: corpus/ops (7.2 .out), OTHER: the lists recorded on 6.12
  tools/kernel-oracle/record.sh CF/*.ops   (on 7.2)
  attribute-6.12.py table REF OTHER CF     markdown tables; exit 1 when a line stays unexplained
Driven by tools/kernel-oracle/versions.sh.
"""
import collections, json, os, re, sys


def outmap(path):
    m = {}
    for l in open(path, encoding='latin1').read().splitlines():
        mm = re.match(r'^(\d+): (.*)$', l)
        if mm:
            m[int(mm.group(1))] = mm.group(2)
    return m


def status(s):
    w = s.split(' ')
    if len(w) > 2 and w[1] == 'err':
        return 'err ' + w[2]
    return w[1] if len(w) > 1 else s


def line_class(s):
    """as Shrinker.lineClass: op and status without values"""
    if s == '(none)':
        return '(no line)'
    w = s.split(' ')
    if len(w) > 2 and w[1] == 'err':
        return ' '.join(w[:3])
    if len(w) > 1 and w[1] in ('ok', 'skipped'):
        return ' '.join(w[:2])
    return s


def keys(s):
    return dict(x.split('=', 1) for x in s.split(' ') if '=' in x)


def pair_class(a, b):
    """as Campaign's VLine.cls(): 'a-class | b-class', or 'a-class | same, K differ'"""
    ca, cb = line_class(a), line_class(b)
    if ca != cb:
        return ca + ' | ' + cb
    ka, kb = keys(a), keys(b)
    d = [k for k in ka if ka[k] != kb.get(k)] + [k for k in kb if k not in ka]
    return ca + ' | same, ' + (','.join(d) + ' differ' if d else 'other text')


def toks(line):
    t = line.split('#')[0].split()
    cap = None
    if len(t) > 2 and t[1] == '=':
        cap, t = t[0], t[2:]
    return cap, t


def kv(t, k):
    for x in t[1:]:
        if x.startswith(k + '='):
            return x[len(k) + 1:]
    return None


WORDS = {'NO_DIRTY': 1, 'HUGE_IOVA': 2, 'PASID': 4, 'ALLOC_PASID': 8, 'NEST_PARENT': 1, 'DIRTY_TRACKING': 2,
         'FAULT_ID_VALID': 4, 'NONE': 0}


def flagval(s):
    v = 0
    for w in (s or '').split('|'):
        if w in WORDS:
            v |= WORDS[w]
        else:
            try:
                v |= int(w, 0)
            except ValueError:
                pass
    return v


def cause(t, a, b):
    """the direct cause of a (7.2) differing from b (6.12) on the op t, or None"""
    if not t:
        return None
    op = t[0]
    sa, sb = status(a), status(b)
    if op in ('viommu_alloc', 'vdevice_alloc', 'veventq_alloc') and sb == 'err ENOTTY':
        return 'C1'
    if op in ('hwpt_invalidate', 'viommu_invalidate') and sb == 'err ENOENT':
        return 'C2'
    if op == 'check_dev_cache' and sb == 'err EOPNOTSUPP':
        return 'C3'
    if op == 'get_hw_info' and sa == sb == 'ok':
        ka, kb = keys(a), keys(b)
        if {k for k in ka if ka[k] != kb.get(k)} == {'capabilities'} \
                and int(ka['capabilities'], 16) ^ int(kb['capabilities'], 16) == 8:
            return 'C4'
    if op in ('mock_domain', 'mock_domain_flags'):
        f = flagval(kv(t, 'dev_flags'))
        if f & 4 and sb == 'err EINVAL':
            return 'C5'
        if f & 2 and sa == 'err EINVAL':
            return 'C6'
    if op == 'hwpt_alloc':
        f = flagval(kv(t, 'flags'))
        data = any(kv(t, k) is not None for k in ('iotlb', 'data_type', 'data_len', 'pagetable_type'))
        if f & 8 and sb == 'err EOPNOTSUPP':
            return 'C7'
        if data and sb == 'err EOPNOTSUPP':
            return 'C8'
        dl = kv(t, 'data_len')
        if (kv(t, 'pagetable_type') is not None or dl is not None and 4 < int(dl, 0) <= 8) and sb == 'err EINVAL':
            return 'C9'
        if (kv(t, 'fault_id') is not None or f & 4) and sb == 'err EOPNOTSUPP':
            return 'C11'
    if op in ('mock_domain', 'mock_domain_flags', 'mock_domain_replace') and sb == 'err ENODEV':
        return 'C12'
    if op == 'check_map' and sa == 'err ENOENT' and sb == 'err EINVAL':
        return 'C10'
    return None


# ops that change nothing the later ops can see
SIDE_EFFECT_FREE = {'check_dev_cache', 'check_iotlb', 'check_map', 'get_hw_info', 'ioas_iova_ranges'}


def differing(ref, oth):
    for f in sorted(os.listdir(oth)):
        if not f.endswith('.ops') or not os.path.exists(os.path.join(oth, f + '.out')):
            continue
        A, B = outmap(os.path.join(ref, f + '.out')), outmap(os.path.join(oth, f + '.out'))
        if A != B:
            yield f, A, B, open(os.path.join(ref, f), encoding='latin1').read().split('\n')


def write(ref, oth, cf):
    os.makedirs(cf, exist_ok=True)
    n_files = 0
    for f, A, B, lines in differing(ref, oth):
        new = list(lines)
        for n in sorted(set(A) | set(B)):
            a, b = A.get(n, '(none)'), B.get(n, '(none)')
            if a == b:
                continue
            cap, t = toks(lines[n - 1])
            if cause(t, a, b):
                if status(b) != 'ok':   # failed on 6.12: fail on both, no side effect
                    new[n - 1] = (cap + ' = ' if cap else '') + 'destroy 0'
                elif status(a) != 'ok' and t[0].startswith('mock_domain'):   # only 6.12 made the device
                    new[n - 1] = (cap + ' = ' if cap else '') + ' '.join(x for x in t if not x.startswith('dev_flags='))
        open(os.path.join(cf, f), 'w', encoding='latin1').write('\n'.join(new))
        n_files += 1
    print('wrote %d counterfactual lists to %s; record them on 7.2 next' % (n_files, cf))


def table(ref, oth, cf):
    cls = collections.OrderedDict()
    unexplained = []
    total = direct_n = cascade_n = 0
    for f, A, B, lines in differing(ref, oth):
        C = outmap(os.path.join(cf, f + '.out'))
        seen = []   # the direct causes so far in this list that left different objects behind
        for n in sorted(set(A) | set(B)):
            a, b = A.get(n, '(none)'), B.get(n, '(none)')
            if a == b:
                continue
            total += 1
            cap, t = toks(lines[n - 1])
            k = pair_class(a, b)
            e = cls.setdefault(k, {'lines': 0, 'files': set(), 'direct': collections.Counter(),
                                   'cascade': collections.Counter(), 'ex': (f, n, a, b)})
            e['lines'] += 1
            e['files'].add(f)
            c = cause(t, a, b)
            if not c and cause(t, C.get(n, '(none)'), b):
                c = 'cascade, then ' + cause(t, C.get(n, '(none)'), b)
            if c:
                e['direct'][c] += 1
                direct_n += 1
                if (status(a) == 'ok') != (status(b) == 'ok') and t[0] not in SIDE_EFFECT_FREE:
                    seen.append(c)   # made an object (or a capture) on one kernel only: the states part here
            elif C.get(n) == b:
                e['cascade']['+'.join(sorted(set(seen))) or '?'] += 1
                cascade_n += 1
            else:
                unexplained.append((f, n, a, C.get(n), b))
    print('%d differing lines: %d direct, %d cascades checked on 7.2, %d unexplained\n'
          % (total, direct_n, cascade_n, len(unexplained)))
    print('| lines | lists | op | 7.2 | 6.12 | cause |')
    print('|---:|---:|---|---|---|---|')
    for k, e in sorted(cls.items(), key=lambda x: -x[1]['lines']):
        f, n, a, b = e['ex']
        ra, rb = k.split(' | ')
        op = ra.split(' ')[0] if ra != '(no line)' else rb.split(' ')[0]
        parts = [('**%s** %d' if c.startswith('C') else '%s %d') % (c, x) for c, x in sorted(e['direct'].items())]
        if e['cascade']:
            top = e['cascade'].most_common(3)
            parts.append('cascade %d (after %s)' % (sum(e['cascade'].values()),
                                                   ', '.join('%s: %d' % (c, x) for c, x in top)
                                                   + (', ...' if len(e['cascade']) > 3 else '')))
        strip = lambda s, o: s[len(o) + 1:] if s.startswith(o + ' ') else s
        print('| %d | %d | `%s` | `%s` | `%s` | %s |' % (e['lines'], len(e['files']), op, strip(ra, op),
                                                     strip(rb, op), '; '.join(parts)))
    for u in unexplained[:50]:
        print('UNEXPLAINED %s:%d 7.2 %s | 7.2 counterfactual %s | 6.12 %s' % u, file=sys.stderr)
    return 1 if unexplained else 0


if __name__ == '__main__':
    if len(sys.argv) != 5 or sys.argv[1] not in ('write', 'table'):
        print(__doc__)
        sys.exit(2)
    sys.exit(write(*sys.argv[2:]) if sys.argv[1] == 'write' else table(*sys.argv[2:]))
