namespace MtlBatch.Inference.PostProcessing;

/// <summary>
/// Agglomerative clustering of L2-normalised embeddings with cosine distance and average linkage; the number of
/// speakers is chosen automatically within [min, max]:
/// <list type="number">
/// <item>the distance threshold proposes k (clusters left when every merge closer than the threshold is done);</item>
/// <item>if even the last merge is below the threshold and min allows it, there is one speaker;</item>
/// <item>otherwise the silhouette of each k in [max(2, min), max] is computed and the proposal is kept unless another k has a
/// clearly better silhouette (by more than 0.05).</item>
/// </list>
/// Clustering is O(n^2) in memory, so at most <see cref="DiarizationOptions.MaxClusteringWindows"/> windows (one per equal stretch of the recording) are
/// clustered; every window is then labelled by its nearest cluster centroid.
/// </summary>
internal sealed class SpeakerClusterer(DiarizationOptions options)
{
    private const double SilhouetteMargin = 0.05;

    /// <summary>Cluster label (0-based, arbitrary order) per embedding.</summary>
    public int[] Cluster(IReadOnlyList<float[]> embeddings, int minSpeakers, int maxSpeakers)
    {
        var n = embeddings.Count;
        if (n == 0) return [];
        if (n == 1) return [0];

        var sample = SampleIndices(n, Math.Max(2, options.MaxClusteringWindows));
        var m = sample.Length;
        var distance = new double[m, m];
        for (var i = 0; i < m; i++)
            for (var j = i + 1; j < m; j++)
                distance[i, j] = distance[j, i] = CosineDistance(embeddings[sample[i]], embeddings[sample[j]]);

        var merges = AverageLinkage((double[,])distance.Clone(), m);
        var kMax = Math.Min(maxSpeakers, m);
        var kMin = Math.Min(minSpeakers, kMax);
        var k = ChooseK(distance, merges, m, kMin, kMax);
        var sampleLabels = CutTree(merges, m, k);

        if (m == n) return sampleLabels;
        var centroids = Centroids(embeddings, sample, sampleLabels, k);
        var labels = new int[n];
        for (var i = 0; i < n; i++) labels[i] = Nearest(centroids, embeddings[i]);
        return labels;
    }

    private int ChooseK(double[,] distance, List<(int A, int B, double Distance)> merges, int m, int kMin, int kMax)
    {
        if (kMin == kMax) return kMin;
        var below = merges.Count(x => x.Distance <= options.DistanceThreshold);
        var proposed = Math.Clamp(m - below, kMin, kMax);
        if (proposed == 1) return 1;

        var bestK = proposed;
        var proposedScore = Silhouette(distance, CutTree(merges, m, proposed), proposed);
        var bestScore = proposedScore;
        for (var k = Math.Max(2, kMin); k <= kMax; k++)
        {
            if (k == proposed) continue;
            var score = Silhouette(distance, CutTree(merges, m, k), k);
            if (score > bestScore) { bestScore = score; bestK = k; }
        }
        return bestScore > proposedScore + SilhouetteMargin ? bestK : proposed;
    }

    internal static int[] SampleIndices(int n, int max)
    {
        if (n <= max) return Enumerable.Range(0, n).ToArray();
        // One random pick per stratum: covers the whole recording like an even stride but cannot alias with a periodic
        // turn pattern (a fixed stride over A-B-C-A-B-C windows can miss a speaker entirely). Fixed seed: deterministic.
        var random = new Random(n);
        var result = new int[max];
        for (var i = 0; i < max; i++)
        {
            var lo = (int)((long)i * n / max);
            var hi = (int)((long)(i + 1) * n / max);
            result[i] = lo + random.Next(Math.Max(1, hi - lo));
        }
        return result;
    }

    /// <summary>Merges (cluster ids are the surviving index), closest first; O(n^2) with nearest-neighbour caching.</summary>
    internal static List<(int A, int B, double Distance)> AverageLinkage(double[,] d, int n)
    {
        var size = new int[n];
        var active = new bool[n];
        var nn = new int[n];
        var nnDist = new double[n];
        Array.Fill(size, 1); Array.Fill(active, true);
        for (var i = 0; i < n; i++) UpdateNearest(i);
        var merges = new List<(int, int, double)>(n - 1);

        for (var step = 0; step < n - 1; step++)
        {
            var a = -1;
            for (var i = 0; i < n; i++) if (active[i] && nn[i] >= 0 && (a < 0 || nnDist[i] < nnDist[a])) a = i;
            var b = nn[a];
            if (b < a) (a, b) = (b, a);
            merges.Add((a, b, d[a, b]));
            // Lance-Williams update for average linkage: the merged cluster's distance is the size-weighted mean.
            for (var x = 0; x < n; x++)
            {
                if (!active[x] || x == a || x == b) continue;
                d[a, x] = d[x, a] = (size[a] * d[a, x] + size[b] * d[b, x]) / (size[a] + size[b]);
            }
            size[a] += size[b];
            active[b] = false;
            UpdateNearest(a);
            for (var x = 0; x < n; x++)
            {
                if (!active[x] || x == a) continue;
                if (nn[x] == a || nn[x] == b) UpdateNearest(x);
                else if (d[x, a] < nnDist[x]) { nn[x] = a; nnDist[x] = d[x, a]; }
            }
        }
        return merges;

        void UpdateNearest(int i)
        {
            nn[i] = -1; nnDist[i] = double.PositiveInfinity;
            for (var j = 0; j < n; j++)
                if (j != i && active[j] && d[i, j] < nnDist[i]) { nn[i] = j; nnDist[i] = d[i, j]; }
        }
    }

    /// <summary>Labels 0..k-1 after the first n-k merges.</summary>
    internal static int[] CutTree(List<(int A, int B, double Distance)> merges, int n, int k)
    {
        var parent = Enumerable.Range(0, n).ToArray();
        int Find(int x) { while (parent[x] != x) x = parent[x] = parent[parent[x]]; return x; }
        for (var s = 0; s < n - k && s < merges.Count; s++) parent[Find(merges[s].B)] = Find(merges[s].A);
        var ids = new Dictionary<int, int>();
        var labels = new int[n];
        for (var i = 0; i < n; i++)
        {
            var root = Find(i);
            if (!ids.TryGetValue(root, out var id)) ids[root] = id = ids.Count;
            labels[i] = id;
        }
        return labels;
    }

    /// <summary>Mean silhouette (Rousseeuw 1987) over points; points in singleton clusters count 0.</summary>
    internal static double Silhouette(double[,] d, int[] labels, int k)
    {
        var n = labels.Length;
        var counts = new int[k];
        foreach (var l in labels) counts[l]++;
        var sums = new double[k];
        double total = 0;
        for (var i = 0; i < n; i++)
        {
            Array.Clear(sums);
            for (var j = 0; j < n; j++) if (j != i) sums[labels[j]] += d[i, j];
            var own = labels[i];
            if (counts[own] <= 1) continue;
            var a = sums[own] / (counts[own] - 1);
            var b = double.PositiveInfinity;
            for (var c = 0; c < k; c++) if (c != own && counts[c] > 0) b = Math.Min(b, sums[c] / counts[c]);
            if (double.IsPositiveInfinity(b)) continue;
            var denominator = Math.Max(a, b);
            total += denominator > 0 ? (b - a) / denominator : 0;
        }
        return total / n;
    }

    private static float[][] Centroids(IReadOnlyList<float[]> embeddings, int[] sample, int[] labels, int k)
    {
        var dim = embeddings[0].Length;
        var sums = new double[k][];
        for (var c = 0; c < k; c++) sums[c] = new double[dim];
        for (var i = 0; i < sample.Length; i++)
        {
            var e = embeddings[sample[i]];
            for (var d = 0; d < dim; d++) sums[labels[i]][d] += e[d];
        }
        return sums.Select(SpeakerWindowPooler.Normalize).ToArray();
    }

    internal static int Nearest(float[][] centroids, float[] e)
    {
        var best = 0; var bestDistance = double.PositiveInfinity;
        for (var c = 0; c < centroids.Length; c++)
        {
            var dist = CosineDistance(centroids[c], e);
            if (dist < bestDistance) { bestDistance = dist; best = c; }
        }
        return best;
    }

    /// <summary>1 - cosine similarity of two L2-normalised vectors (0 = same direction, 2 = opposite).</summary>
    public static double CosineDistance(float[] a, float[] b)
    {
        double dot = 0;
        for (var i = 0; i < a.Length; i++) dot += a[i] * b[i];
        return 1 - dot;
    }
}
