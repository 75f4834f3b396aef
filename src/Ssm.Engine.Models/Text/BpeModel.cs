using System.Collections.Concurrent;

namespace Ssm.Engine.Models.Text;

/// <summary>
/// Byte-pair encoding of one pre-token (already mapped to byte-level characters). Start from one symbol per
/// character, repeatedly merge the adjacent pair with the lowest merge rank (leftmost on ties) until no adjacent
/// pair is a merge. A priority queue over (rank, position) keeps long words near n log n; results are cached by
/// pre-token.
/// </summary>
internal sealed class BpeModel
{
    private const int CacheCapacity = 50_000;
    private const int CachedWordMaxLength = 256;

    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<long, (int Rank, int NewId)> _merges;
    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);

    public BpeModel(string path, Dictionary<string, int> vocab, List<(string Left, string Right)> merges)
    {
        _vocab = vocab;
        _merges = new Dictionary<long, (int, int)>(merges.Count);
        for (int rank = 0; rank < merges.Count; rank++)
        {
            var (l, r) = merges[rank];
            if (!vocab.TryGetValue(l, out int a) || !vocab.TryGetValue(r, out int b))
                throw new TokenizerFormatException(
                    $"[tokenizer] {path}: key 'model.merges[{rank}]': token '{(vocab.ContainsKey(l) ? r : l)}' " +
                    "is not in model.vocab");
            if (!vocab.TryGetValue(l + r, out int merged))
                throw new TokenizerFormatException(
                    $"[tokenizer] {path}: key 'model.merges[{rank}]': merged token '{l + r}' is not in model.vocab");
            _merges.TryAdd(Key(a, b), (rank, merged)); // the first (lowest) rank of a duplicated merge wins
        }
    }

    /// <summary>Appends the ids of <paramref name="word"/> (a byte-level string) to <paramref name="dst"/>.</summary>
    public void Encode(string word, List<int> dst)
    {
        if (_cache.TryGetValue(word, out int[]? cached))
        {
            dst.AddRange(cached);
            return;
        }
        if (word.Length == 1 && _vocab.TryGetValue(word, out int single))
        {
            dst.Add(single);
            return;
        }
        int[] ids = Merge(word);
        if (word.Length <= CachedWordMaxLength)
        {
            if (_cache.Count >= CacheCapacity) _cache.Clear();
            _cache.TryAdd(word, ids);
        }
        dst.AddRange(ids);
    }

    private int[] Merge(string word)
    {
        int n = word.Length;
        var id = new int[n];
        var prev = new int[n];
        var next = new int[n];
        var alive = new bool[n];
        int count = 0;
        for (int i = 0; i < n; i++)
        {
            // A character outside the vocabulary (gpt-neox-20b lacks bytes that never occur in UTF-8) is dropped,
            // as the reference does when there is no unk token.
            if (!_vocab.TryGetValue(word[i].ToString(), out id[count])) continue;
            alive[count] = true;
            prev[count] = count - 1;
            next[count] = count + 1;
            count++;
        }
        if (count == 0) return [];
        next[count - 1] = -1;

        var queue = new PriorityQueue<(int Left, int Right, int LeftId, int RightId, int NewId), (int, int)>();
        void Push(int left)
        {
            int right = next[left];
            if (left < 0 || right < 0) return;
            if (_merges.TryGetValue(Key(id[left], id[right]), out var m))
                queue.Enqueue((left, right, id[left], id[right], m.NewId), (m.Rank, left));
        }
        for (int i = 0; i + 1 < count; i++) Push(i);

        while (queue.TryDequeue(out var m, out _))
        {
            if (!alive[m.Left] || !alive[m.Right] || next[m.Left] != m.Right
                || id[m.Left] != m.LeftId || id[m.Right] != m.RightId) continue; // stale entry
            id[m.Left] = m.NewId;
            alive[m.Right] = false;
            int after = next[m.Right];
            next[m.Left] = after;
            if (after >= 0) prev[after] = m.Left;
            if (prev[m.Left] >= 0) Push(prev[m.Left]);
            Push(m.Left);
        }

        var result = new List<int>(count);
        for (int i = 0; i >= 0 && i < count; i = next[i]) result.Add(id[i]);
        return result.ToArray();
    }

    private static long Key(int a, int b) => ((long)a << 32) | (uint)b;
}
