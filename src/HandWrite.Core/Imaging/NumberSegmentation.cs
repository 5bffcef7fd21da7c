using SkiaSharp;

namespace HandWrite.Core.Imaging;

/// <summary>Where a digit is in the source picture, in its pixels (after EXIF orientation): left, top, size.</summary>
public sealed record DigitBox(int X, int Y, int Width, int Height)
{
    public override string ToString() => $"{X},{Y} {Width}x{Height}";
}

/// <summary>One digit of a number: the model input, laid out as a single digit is, and where it was found.</summary>
public sealed class SegmentedDigit
{
    internal SegmentedDigit(DigitImage image, DigitBox box) { Image = image; Box = box; }

    public DigitImage Image { get; }
    public DigitBox Box { get; }
}

/// <summary>The digits of a written number, left to right; none (with a reason) when the picture holds no ink.</summary>
public sealed class NumberSegments
{
    internal NumberSegments(IReadOnlyList<SegmentedDigit> digits, string? blankReason, int sourceWidth, int sourceHeight)
    {
        Digits = digits; BlankReason = blankReason; SourceWidth = sourceWidth; SourceHeight = sourceHeight;
    }

    public IReadOnlyList<SegmentedDigit> Digits { get; }
    /// <summary>Why no digit was found; null when there are digits.</summary>
    public string? BlankReason { get; }
    public int SourceWidth { get; }
    public int SourceHeight { get; }

    /// <summary>Digits that were cut apart only because together they are wide, also as one digit: a reader
    /// keeps whichever the network finds more likely (a wide or open 0 against two touching digits).</summary>
    internal IReadOnlyList<UndividedDigits> Undivided { get; init; } = [];
}

/// <summary><see cref="Count"/> digits from position <see cref="First"/> read as one <see cref="Whole"/> digit.</summary>
internal sealed record UndividedDigits(int First, int Count, SegmentedDigit Whole);

/// <summary>
/// Splits a picture of a written number (one line of digits) into its digits, each laid out for the network
/// exactly as <see cref="DigitPreprocessor"/> lays out a single digit.
/// </summary>
/// <remarks>
/// Works on the ink layer the single-digit path finds (same decoding, paper removal, threshold, specks
/// dropped) and its connected components. Pieces of one digit (a 5's detached bar, a 4 drawn in two
/// strokes, a dot above a stroke) are merged when their horizontal extents overlap strongly. A piece too
/// wide for one digit relative to its height and the line's digit height is touching digits: it is cut at
/// the columns of least ink (vertical projection), one cut per extra digit, each searched near where the
/// cut is expected. Digits are read left to right by their centres.
/// </remarks>
public static class NumberSegmentation
{
    /// <summary>Two pieces are one digit when the overlap of their horizontal extents is at least this
    /// fraction of the narrower piece's width (a bar above, a stroke beside, a dot over it).</summary>
    internal const double MergeOverlap = 0.5;

    /// <summary>A piece this short (relative to the line's digit height) next to a digit is a fragment of it
    /// when the gap is under <see cref="FragmentGap"/> digit heights.</summary>
    internal const double FragmentHeight = 0.35;
    internal const double FragmentGap = 0.25;

    /// <summary>Handwritten digits are rarely wider than tall (a round 0, a 2 with a long base); a piece
    /// wider than this many digit heights is looked at as touching digits.</summary>
    internal const double MaxDigitAspect = 1.1;
    /// <summary>Wider than this, a piece is cut even where the cut crosses several strokes.</summary>
    internal const double AlwaysSplitAspect = 1.6;

    /// <summary>Expected width of a digit in touching runs, in digit heights: sets how many digits a wide
    /// piece holds and where the cuts are searched.</summary>
    internal const double TypicalDigitAspect = 0.75;

    /// <summary>Reads, decodes and segments an image file.</summary>
    /// <exception cref="HandWriteException">NotFound, PermissionDenied, InvalidData or LimitsExceeded; Target = path.</exception>
    public static NumberSegments Load(string path) => Decode(ImageDecoding.ReadFile(path), path);

    /// <summary>Decodes encoded image bytes and segments the number they show.</summary>
    public static NumberSegments Decode(ReadOnlySpan<byte> encoded, string nameForErrors)
    {
        using var working = ImageDecoding.DecodeUpright(encoded, nameForErrors, out var source, ImageDecoding.WorkingLongestSideForLine);
        return Run(working, source.Width, source.Height);
    }

    /// <summary>Segments an already decoded bitmap of any colour type.</summary>
    public static NumberSegments Segment(SKBitmap bitmap)
    {
        ArgumentNullException.ThrowIfNull(bitmap);
        if (bitmap.Width <= 0 || bitmap.Height <= 0)
            throw new HandWriteException("The bitmap is empty (0 pixels). Pass a bitmap with a written number.", HandWriteErrorKind.InvalidData);
        using var working = ImageDecoding.ToWorkingBitmap(bitmap, ImageDecoding.WorkingLongestSideForLine);
        return Run(working, bitmap.Width, bitmap.Height);
    }

    static NumberSegments Run(SKBitmap working, int sourceWidth, int sourceHeight)
    {
        var ink = InkSegmentation.Extract(working, out var blankReason, InkSegmentation.MaxNumberComponents);
        if (ink is null) return new NumberSegments([], blankReason, sourceWidth, sourceHeight);
        double scaleX = (double)sourceWidth / working.Width, scaleY = (double)sourceHeight / working.Height;
        SegmentedDigit ToDigit(InkLayer digit) => new(
            new DigitImage(MnistLayout.Layout(digit), null, sourceWidth, sourceHeight),
            ToSource(digit.Bounds, scaleX, scaleY, sourceWidth, sourceHeight));
        var (digits, undivided) = Segment(ink);
        return new NumberSegments(digits.Select(ToDigit).ToList(), null, sourceWidth, sourceHeight)
        {
            Undivided = undivided.Select(u => new UndividedDigits(u.First, u.Count, ToDigit(u.Whole))).ToList(),
        };
    }

    /// <summary>The ink layer of each digit, left to right (the line's layer restricted to that digit), and for
    /// each piece cut only because it was wide (a wide 0 or touching digits?), the piece as one digit.</summary>
    internal static (IReadOnlyList<InkLayer> Digits, IReadOnlyList<(int First, int Count, InkLayer Whole)> Undivided) Segment(InkLayer line)
    {
        int w = line.Contrast.Width;
        var pieces = MergePieces(line.Components.Select(c => new Piece(new HashSet<int> { c.Id }, c.Bounds, 0, w)).ToList());
        double lineHeight = Median(pieces.Select(p => p.Bounds.Height));
        pieces = MergeFragments(pieces, lineHeight);
        var digits = new List<Piece>();
        var optional = new List<(int From, int Count)>();
        foreach (var piece in pieces)
        {
            var parts = SplitTouching(piece, line, lineHeight).ToList();
            if (parts.Count > 1 && piece.Bounds.Width < AlwaysSplitAspect * Math.Max(piece.Bounds.Height, lineHeight))
                optional.Add((digits.Count, parts.Count));
            digits.AddRange(parts);
        }

        // Each pixel's digit (1-based, 0 = paper), so a digit keeps its own soft rim but never its neighbour's ink.
        var owners = new int[line.Labels.Length];
        var bounds = new SKRectI[digits.Count];
        for (int d = 0; d < digits.Count; d++) bounds[d] = SKRectI.Empty;
        for (int i = 0; i < owners.Length; i++)
        {
            int label = line.Labels[i];
            if (label == 0) continue;
            int x = i % w, y = i / w;
            for (int d = 0; d < digits.Count; d++)
            {
                var p = digits[d];
                if (x < p.FromColumn || x >= p.ToColumn || !p.Ids.Contains(label)) continue;
                owners[i] = d + 1;
                var pixel = new SKRectI(x, y, x + 1, y + 1);
                bounds[d] = bounds[d].IsEmpty ? pixel : SKRectI.Union(bounds[d], pixel);
                break;
            }
        }
        InkLayer Layer(Func<int, bool> owns, SKRectI box) => new()
        {
            Contrast = InkSegmentation.KeepWithRim(line.Contrast, owners, owns),
            Threshold = line.Threshold, Bounds = box, DarkInk = line.DarkInk, FromAlpha = line.FromAlpha, StrokeWidth = line.StrokeWidth,
        };
        var order = Enumerable.Range(0, digits.Count).Where(d => !bounds[d].IsEmpty).OrderBy(d => bounds[d].Left + bounds[d].Right).ToList();
        var undivided = new List<(int First, int Count, InkLayer Whole)>();
        foreach (var (from, count) in optional)
        {
            // The parts of one piece are neighbours in reading order unless another digit sits between them.
            var positions = Enumerable.Range(from, count).Select(d => order.IndexOf(d)).Order().ToList();
            if (positions[0] < 0 || positions[^1] - positions[0] != count - 1) continue;
            var box = Enumerable.Range(from, count).Select(d => bounds[d]).Aggregate(SKRectI.Union);
            undivided.Add((positions[0], count, Layer(owner => owner > from && owner <= from + count, box)));
        }
        return (order.Select(d => Layer(owner => owner == d + 1, bounds[d])).ToList(), undivided);
    }

    /// <summary>Some components (<see cref="Ids"/>) restricted to the columns [FromColumn, ToColumn).</summary>
    internal sealed record Piece(HashSet<int> Ids, SKRectI Bounds, int FromColumn, int ToColumn);

    static Piece Join(Piece a, Piece b) =>
        new([.. a.Ids, .. b.Ids], SKRectI.Union(a.Bounds, b.Bounds), Math.Min(a.FromColumn, b.FromColumn), Math.Max(a.ToColumn, b.ToColumn));

    static int Overlap(SKRectI a, SKRectI b) => Math.Min(a.Right, b.Right) - Math.Max(a.Left, b.Left);

    /// <summary>Merges pieces whose horizontal extents overlap by <see cref="MergeOverlap"/> of the narrower, until none do.</summary>
    internal static List<Piece> MergePieces(List<Piece> pieces)
    {
        for (bool merged = true; merged;)
        {
            merged = false;
            for (int a = 0; a < pieces.Count && !merged; a++)
                for (int b = a + 1; b < pieces.Count && !merged; b++)
                {
                    var (pa, pb) = (pieces[a].Bounds, pieces[b].Bounds);
                    if (Overlap(pa, pb) < MergeOverlap * Math.Min(pa.Width, pb.Width)) continue;
                    pieces[a] = Join(pieces[a], pieces[b]);
                    pieces.RemoveAt(b);
                    merged = true;
                }
        }
        return pieces;
    }

    /// <summary>A short piece close beside a digit (a bar or tick drawn a little off) joins the nearest digit.</summary>
    static List<Piece> MergeFragments(List<Piece> pieces, double lineHeight)
    {
        for (bool merged = true; merged && pieces.Count > 1;)
        {
            merged = false;
            foreach (var fragment in pieces.Where(p => p.Bounds.Height < FragmentHeight * lineHeight).OrderBy(p => p.Bounds.Height))
            {
                var nearest = pieces.Where(p => p != fragment).MinBy(p => -Overlap(p.Bounds, fragment.Bounds))!;
                if (-Overlap(nearest.Bounds, fragment.Bounds) > FragmentGap * lineHeight) continue;
                pieces[pieces.IndexOf(nearest)] = Join(nearest, fragment);
                pieces.Remove(fragment);
                merged = true;
                break;
            }
        }
        return pieces;
    }

    /// <summary>
    /// A piece wider than <see cref="MaxDigitAspect"/> times its digit height may be touching digits: as many
    /// as <see cref="TypicalDigitAspect"/>-wide digits fit, each cut at the column that crosses the fewest
    /// strokes, then holds the least ink, near where the cut is expected. Touching digits join through one
    /// stroke (a ligature, two sides merged into one), while the middle of a wide 0 crosses two, so a piece
    /// under <see cref="AlwaysSplitAspect"/> is only cut through a single stroke.
    /// </summary>
    internal static IEnumerable<Piece> SplitTouching(Piece piece, InkLayer line, double lineHeight)
    {
        var b = piece.Bounds;
        double height = Math.Max(b.Height, lineHeight);
        if (b.Width <= MaxDigitAspect * height) return [piece];
        int count = Math.Max(2, (int)Math.Round(b.Width / (TypicalDigitAspect * height)));

        var (ink, strokes) = VerticalProjection(piece, line);
        double expected = (double)b.Width / count;
        var cuts = new List<int> { b.Left };
        for (int k = 1; k < count; k++)
        {
            double centre = b.Left + k * expected, half = expected / 2;
            int from = Math.Max(cuts[^1] + 1, (int)Math.Ceiling(centre - half)), to = Math.Min(b.Right - 1, (int)Math.Floor(centre + half));
            if (from > to) continue;
            // Fewest strokes first (the distance term stays under one stroke), then least ink, then nearest the expected cut.
            int best = Enumerable.Range(from, to - from + 1)
                .MinBy(x => strokes[x - b.Left] + ink[x - b.Left] / height + 0.5 * Math.Abs(x - centre) / half);
            if (strokes[best - b.Left] > 1 && b.Width < AlwaysSplitAspect * height) continue;
            cuts.Add(best);
        }
        cuts.Add(b.Right);
        if (cuts.Count == 2) return [piece];
        // A part can still hold touching digits (three in a piece estimated as two): look at each again.
        return cuts.Zip(cuts.Skip(1))
            .Select(c => Restrict(piece, c.First, c.Second, line))
            .SelectMany(part => SplitTouching(part, line, lineHeight));
    }

    /// <summary>The piece's ink in columns [from, to), with its bounds.</summary>
    static Piece Restrict(Piece piece, int from, int to, InkLayer line)
    {
        var b = piece.Bounds;
        int w = line.Contrast.Width, top = b.Bottom, bottom = b.Top;
        for (int y = b.Top; y < b.Bottom; y++)
            for (int x = from; x < to; x++)
                if (piece.Ids.Contains(line.Labels[y * w + x])) { top = Math.Min(top, y); bottom = Math.Max(bottom, y + 1); break; }
        return piece with { Bounds = new SKRectI(from, top, to, Math.Max(top, bottom)), FromColumn = from, ToColumn = to };
    }

    /// <summary>Per column of the piece's bounds: its ink pixels, and how many separate strokes (runs of ink) it crosses.</summary>
    static (int[] Ink, int[] Strokes) VerticalProjection(Piece piece, InkLayer line)
    {
        var b = piece.Bounds;
        int w = line.Contrast.Width;
        var ink = new int[b.Width];
        var strokes = new int[b.Width];
        for (int x = b.Left; x < b.Right; x++)
        {
            bool inside = false;
            for (int y = b.Top; y < b.Bottom; y++)
            {
                bool isInk = piece.Ids.Contains(line.Labels[y * w + x]);
                if (isInk) ink[x - b.Left]++;
                if (isInk && !inside) strokes[x - b.Left]++;
                inside = isInk;
            }
        }
        return (ink, strokes);
    }

    static double Median(IEnumerable<int> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? 0 : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2.0;
    }

    /// <summary>Working-image bounds to source pixels, rounded outwards and clipped to the picture.</summary>
    static DigitBox ToSource(SKRectI bounds, double scaleX, double scaleY, int sourceWidth, int sourceHeight)
    {
        int x0 = Math.Clamp((int)Math.Floor(bounds.Left * scaleX), 0, sourceWidth), y0 = Math.Clamp((int)Math.Floor(bounds.Top * scaleY), 0, sourceHeight);
        int x1 = Math.Clamp((int)Math.Ceiling(bounds.Right * scaleX), x0, sourceWidth), y1 = Math.Clamp((int)Math.Ceiling(bounds.Bottom * scaleY), y0, sourceHeight);
        return new DigitBox(x0, y0, x1 - x0, y1 - y0);
    }
}
