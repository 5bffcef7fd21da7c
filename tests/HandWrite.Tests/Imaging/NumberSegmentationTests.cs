using HandWrite.Core.Imaging;
using SkiaSharp;

namespace HandWrite.Tests.Imaging;

/// <summary>Lines of stroked digits: how many digits are found, in which order, and where.</summary>
public sealed class NumberSegmentationTests
{
    const float Stroke = 8f;

    /// <summary>A digit to draw: its glyph, left edge, height and bottom (baseline) in pixels.</summary>
    sealed record Glyph(char Shape, float Left, float Height = 100f, float Bottom = 150f)
    {
        /// <summary>Width of the glyph's centre line (strokes add half their width on each side).</summary>
        public float Width => Height * Shape switch { '1' => 0.25f, '0' => 0.7f, _ => 0.6f };
        public SKRect Box => new(Left, Bottom - Height, Left + Width, Bottom);

        /// <summary>Where the drawn ink is: the strokes' tight bounds widened by half the stroke width.</summary>
        public SKRect Ink(float stroke = Stroke)
        {
            var bounds = Strokes(this).Select(path => { using (path) return path.TightBounds; }).Aggregate(SKRect.Union);
            bounds.Inflate(stroke / 2, stroke / 2);
            return bounds;
        }
    }

    /// <summary>Centre-line strokes in a unit box (x 0..1 across the glyph's width, y 0..1 down).
    /// 4 and 5 are drawn broken: the 5's top bar apart from its body, the 4's upright interrupted where it
    /// crosses the bar.</summary>
    static IEnumerable<SKPath> Strokes(Glyph g)
    {
        var box = g.Box;
        SKPoint P(float x, float y) => new(box.Left + x * box.Width, box.Top + y * box.Height);
        SKPath Line(params SKPoint[] points)
        {
            var path = new SKPath();
            path.MoveTo(points[0]);
            foreach (var p in points.Skip(1)) path.LineTo(p);
            return path;
        }
        switch (g.Shape)
        {
            case '0': case '2': case '7':
                yield return SyntheticDigits.Outline(g.Shape switch { '0' => SyntheticDigits.Glyph.Zero, '2' => SyntheticDigits.Glyph.Two, _ => SyntheticDigits.Glyph.Seven }, box);
                break;
            case '1':
                yield return Line(P(0f, 0.2f), P(0.9f, 0f), P(0.9f, 1f));
                break;
            case '4':
                yield return Line(P(0.55f, 0f), P(0f, 0.62f), P(1f, 0.62f));
                yield return Line(P(0.72f, 0.1f), P(0.72f, 0.5f));
                yield return Line(P(0.72f, 0.74f), P(0.72f, 1f));
                break;
            case '5':
                yield return Line(P(0.3f, 0f), P(1f, 0f));
                var body = Line(P(0.2f, 0.16f), P(0.12f, 0.48f));
                body.CubicTo(P(0.7f, 0.3f), P(1.1f, 0.75f), P(0.7f, 0.95f));
                body.LineTo(P(0f, 0.9f));
                yield return body;
                break;
            case '.':
                var dot = new SKPath();
                dot.AddCircle(box.MidX, box.Top, Stroke / 2);
                yield return dot;
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(g), g.Shape, "no strokes for this glyph");
        }
    }

    static SKBitmap Draw(int width, int height, IEnumerable<Glyph> glyphs)
    {
        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(SKColors.White);
        using var paint = new SKPaint
        {
            Color = SKColors.Black, IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeWidth = Stroke,
            StrokeCap = SKStrokeCap.Round, StrokeJoin = SKStrokeJoin.Round,
        };
        foreach (var glyph in glyphs)
            foreach (var path in Strokes(glyph))
                using (path) canvas.DrawPath(path, paint);
        return bitmap;
    }

    /// <summary>Segments the drawn line and asserts one box per glyph, left to right, each box's centre inside
    /// its glyph's drawn extent and the box within the glyph's ink (stroke half-width plus 2 px).</summary>
    static NumberSegments AssertDigits(int width, int height, params Glyph[] glyphs)
    {
        using var bitmap = Draw(width, height, glyphs);
        var segments = NumberSegmentation.Segment(bitmap);
        Assert.Null(segments.BlankReason);
        var boxes = segments.Digits.Select(d => d.Box).ToList();
        Assert.True(glyphs.Length == boxes.Count,
            $"expected {glyphs.Length} digits, found {boxes.Count}: {string.Join("; ", boxes)}");
        var expected = glyphs.OrderBy(g => g.Left).ToList();
        for (int i = 0; i < expected.Count; i++)
        {
            var drawn = expected[i].Ink();
            var found = boxes[i];
            float centre = found.X + found.Width / 2f;
            Assert.True(centre >= drawn.Left && centre <= drawn.Right, $"digit {i}: box {found} centred outside the ink {drawn}");
            Assert.True(found.X >= drawn.Left - 2 && found.X + found.Width <= drawn.Right + 2, $"digit {i}: box {found} spills out of the ink {drawn}");
            Assert.True(found.Y >= drawn.Top - 2 && found.Y + found.Height <= drawn.Bottom + 2, $"digit {i}: box {found} spills out of the ink {drawn}");
        }
        foreach (var (digit, i) in segments.Digits.Select((d, i) => (d, i)))
        {
            Assert.Null(digit.Image.BlankReason);
            PixelAssert.IsMnistLike(digit.Image.Pixels, $"digit {i}");
        }
        return segments;
    }

    [Fact]
    public void Separate_digits_come_out_left_to_right_with_their_boxes()
    {
        var segments = AssertDigits(500, 200, new Glyph('7', 300), new Glyph('2', 60), new Glyph('0', 180));
        // Input order is not reading order: the boxes are sorted by position.
        Assert.True(segments.Digits.Select(d => d.Box.X).SequenceEqual(segments.Digits.Select(d => d.Box.X).Order()));
        Assert.Equal((500, 200), (segments.SourceWidth, segments.SourceHeight));
    }

    [Fact]
    public void Touching_digits_are_split_at_the_thinnest_column()
    {
        // Each 0 overlaps the next by a stroke width: one connected blob of two, then of three.
        AssertDigits(400, 200, new Glyph('0', 60), new Glyph('0', 60 + 70 - Stroke));
        AssertDigits(500, 200, new Glyph('0', 60), new Glyph('0', 60 + 70 - Stroke), new Glyph('0', 60 + 2 * (70 - Stroke)));
        AssertDigits(400, 200, new Glyph('2', 60), new Glyph('0', 60 + 60 - Stroke / 2));
    }

    [Fact]
    public void A_broken_5_and_a_4_drawn_in_pieces_stay_one_digit_each()
    {
        using (var alone = Draw(300, 200, [new Glyph('5', 100)]))
            Assert.Single(NumberSegmentation.Segment(alone).Digits);
        AssertDigits(600, 200, new Glyph('5', 40), new Glyph('4', 160), new Glyph('5', 290), new Glyph('7', 420));
    }

    [Fact]
    public void A_speck_above_a_stroke_belongs_to_it()
    {
        AssertDigits(400, 220, new Glyph('1', 100), new Glyph('2', 200));
        using var bitmap = Draw(400, 220, [new Glyph('1', 100), new Glyph('.', 85, 125), new Glyph('2', 200)]);
        Assert.Equal(2, NumberSegmentation.Segment(bitmap).Digits.Count);
    }

    [Fact]
    public void Uneven_spacing_does_not_change_the_count()
    {
        // Gaps of about 1, 90 and 20 px between the strokes' edges.
        AssertDigits(700, 200, new Glyph('2', 40), new Glyph('7', 40 + 60 + Stroke + 1), new Glyph('0', 109 + 60 + Stroke + 90),
            new Glyph('2', 267 + 70 + Stroke + 20));
    }

    [Fact]
    public void Digits_of_different_heights_are_neither_split_nor_merged()
    {
        AssertDigits(600, 260, new Glyph('2', 40, 60, 200), new Glyph('7', 120, 150, 200), new Glyph('0', 250, 90, 190),
            new Glyph('2', 350, 120, 230));
    }

    [Fact]
    public void A_1_next_to_wide_digits_is_its_own_digit()
    {
        AssertDigits(500, 200, new Glyph('1', 40), new Glyph('0', 90), new Glyph('1', 190), new Glyph('0', 240));
        AssertDigits(400, 200, new Glyph('0', 40), new Glyph('1', 125), new Glyph('1', 165), new Glyph('0', 210));
    }

    [Fact]
    public void A_blank_picture_has_no_digits_and_says_why()
    {
        using var bitmap = Draw(300, 100, []);
        var segments = NumberSegmentation.Segment(bitmap);
        Assert.Empty(segments.Digits);
        Assert.Equal(InkSegmentation.UniformReason, segments.BlankReason);
    }

    [Fact]
    public void Boxes_are_in_the_source_pictures_pixels_when_it_is_shrunk_to_the_working_size()
    {
        // 3000 px wide: shrunk about 4x for the ink search; the boxes must be scaled back.
        var glyphs = new[] { new Glyph('2', 400, 500, 650), new Glyph('7', 1300, 500, 650), new Glyph('0', 2200, 500, 650) };
        using var bitmap = new SKBitmap(new SKImageInfo(3000, 800, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.White);
            using var paint = new SKPaint { Color = SKColors.Black, IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeWidth = 40, StrokeCap = SKStrokeCap.Round, StrokeJoin = SKStrokeJoin.Round };
            foreach (var g in glyphs) foreach (var path in Strokes(g)) using (path) canvas.DrawPath(path, paint);
        }
        var boxes = NumberSegmentation.Segment(bitmap).Digits.Select(d => d.Box).ToList();
        Assert.Equal(3, boxes.Count);
        for (int i = 0; i < 3; i++)
        {
            var drawn = glyphs[i].Ink(40);
            Assert.True(Math.Abs(boxes[i].X - drawn.Left) <= 8 && Math.Abs(boxes[i].Y - drawn.Top) <= 8 && Math.Abs(boxes[i].X + boxes[i].Width - drawn.Right) <= 8 && Math.Abs(boxes[i].Y + boxes[i].Height - drawn.Bottom) <= 8, $"box {boxes[i]} vs ink {drawn}");
        }
    }
}
