// Compiled by tests/Support/HandWrite.TestSupport.psm1 with Add-Type, together with the xunit tests' PngWriter.cs:
// the Pester tests' own digit pictures,
// made from MNIST training digits (obtained through the product's own acquisition), so no test needs files from
// outside the clone. Plain C# because PowerShell loops over pixels would take seconds per picture.
using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;

namespace HandWrite.TestSupport
{
    /// <summary>How a digit is drawn on its picture. Colours are "#rrggbb".</summary>
    public sealed class PictureStyle
    {
        /// <summary>Canvas width and height in pixels.</summary>
        public int Width { get; set; } = 64;
        public int Height { get; set; } = 64;
        /// <summary>The digit's height as a fraction of the canvas height.</summary>
        public double DigitHeight { get; set; } = 0.7;
        /// <summary>Where the digit's centre sits, as fractions of the canvas (0.5, 0.5 is the middle).</summary>
        public double CenterX { get; set; } = 0.5;
        public double CenterY { get; set; } = 0.5;
        public string Ink { get; set; } = "#000000";
        public string Paper { get; set; } = "#ffffff";
        /// <summary>Paper fully transparent: the ink is in the alpha channel (RGBA PNG).</summary>
        public bool Transparent { get; set; }
        /// <summary>Darkens the page from left to right by up to this fraction (a lamp at one side).</summary>
        public double UnevenLight { get; set; }
        /// <summary>Standard deviation of Gaussian noise added to every channel, in 0-255 units.</summary>
        public double Noise { get; set; }
        /// <summary>Horizontal gap between the digits of a number, as a fraction of one digit's height.</summary>
        public double Gap { get; set; } = 0.25;
        public int Seed { get; set; } = 1;
    }

    /// <summary>MNIST digits read from IDX files and drawn as ordinary pictures, written as PNG.</summary>
    public static class TestPictures
    {
        static readonly Dictionary<string, (byte[] Images, byte[] Labels)> Loaded = new();

        /// <summary>
        /// The <paramref name="skip"/>-th training digit of class <paramref name="digit"/> in the MNIST folder (raw or .gz
        /// files; never the test set): 28x28 bytes, white ink (255) on black (0). The files are read once per process.
        /// </summary>
        public static byte[] TrainingDigit(string mnistFolder, int digit, int skip)
        {
            if (!Loaded.TryGetValue(mnistFolder, out var set))
                Loaded[mnistFolder] = set = (Read(mnistFolder, "train-images-idx3-ubyte"), Read(mnistFolder, "train-labels-idx1-ubyte"));
            for (int i = 8; i < set.Labels.Length; i++)
                if (set.Labels[i] == digit && skip-- == 0) return set.Images.AsSpan(16 + (i - 8) * 784, 784).ToArray();
            throw new ArgumentOutOfRangeException(nameof(skip), "MNIST's training set has fewer digits of that class.");
        }

        static byte[] Read(string folder, string name)
        {
            var raw = Path.Combine(folder, name);
            if (File.Exists(raw)) return File.ReadAllBytes(raw);
            using var input = new GZipStream(File.OpenRead(raw + ".gz"), CompressionMode.Decompress);
            using var output = new MemoryStream();
            input.CopyTo(output);
            return output.ToArray();
        }

        /// <summary>Writes <paramref name="digits"/> (28x28 each) side by side on one picture, as <paramref name="style"/> says.</summary>
        public static void SavePicture(string path, byte[][] digits, PictureStyle style)
        {
            var crops = digits.Select(Crop).ToArray();
            double scale = style.DigitHeight * style.Height / crops.Max(c => c.Height);
            double gap = style.Gap * style.DigitHeight * style.Height;
            double totalWidth = crops.Sum(c => c.Width * scale) + gap * (crops.Length - 1);
            double left = style.CenterX * style.Width - totalWidth / 2;
            var coverage = new float[style.Width * style.Height];
            foreach (var crop in crops)
            {
                double top = style.CenterY * style.Height - crop.Height * scale / 2;
                Draw(coverage, style.Width, style.Height, crop, left, top, scale);
                left += crop.Width * scale + gap;
            }
            File.WriteAllBytes(path, Render(coverage, style));
        }

        /// <summary>A digit exactly as MNIST holds it (28x28 grey, white on black): a picture already in the network's form.</summary>
        public static void SaveMnistForm(string path, byte[] digit) =>
            File.WriteAllBytes(path, EncodePng(28, 28, 0, Enumerable.Range(0, 28).Select(y => digit.AsSpan(y * 28, 28).ToArray()).ToList()));

        sealed record Cropped(float[] Pixels, int Width, int Height);

        /// <summary>The digit's ink box, coverage in 0-1.</summary>
        static Cropped Crop(byte[] digit)
        {
            int x0 = 28, y0 = 28, x1 = -1, y1 = -1;
            for (int y = 0; y < 28; y++)
                for (int x = 0; x < 28; x++)
                    if (digit[y * 28 + x] > 0) { x0 = Math.Min(x0, x); y0 = Math.Min(y0, y); x1 = Math.Max(x1, x); y1 = Math.Max(y1, y); }
            if (x1 < 0) throw new ArgumentException("The digit has no ink.");
            int w = x1 - x0 + 1, h = y1 - y0 + 1;
            var pixels = new float[w * h];
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) pixels[y * w + x] = digit[(y + y0) * 28 + x + x0] / 255f;
            return new Cropped(pixels, w, h);
        }

        /// <summary>Bilinear scaling of the crop onto the canvas at (left, top), keeping the larger coverage where digits meet.</summary>
        static void Draw(float[] coverage, int width, int height, Cropped crop, double left, double top, double scale)
        {
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                {
                    double sx = (x + 0.5 - left) / scale - 0.5, sy = (y + 0.5 - top) / scale - 0.5;
                    if (sx < -1 || sy < -1 || sx > crop.Width || sy > crop.Height) continue;
                    int ix = (int)Math.Floor(sx), iy = (int)Math.Floor(sy);
                    double fx = sx - ix, fy = sy - iy;
                    double v = (1 - fx) * (1 - fy) * At(crop, ix, iy) + fx * (1 - fy) * At(crop, ix + 1, iy)
                             + (1 - fx) * fy * At(crop, ix, iy + 1) + fx * fy * At(crop, ix + 1, iy + 1);
                    coverage[y * width + x] = Math.Max(coverage[y * width + x], (float)v);
                }
        }

        static float At(Cropped c, int x, int y) => x < 0 || y < 0 || x >= c.Width || y >= c.Height ? 0 : c.Pixels[y * c.Width + x];

        static byte[] Render(float[] coverage, PictureStyle style)
        {
            var ink = Colour(style.Ink);
            var paper = Colour(style.Paper);
            var random = new Random(style.Seed);
            var rows = new List<byte[]>();
            for (int y = 0; y < style.Height; y++)
            {
                var row = new byte[style.Width * 4];
                for (int x = 0; x < style.Width; x++)
                {
                    float a = coverage[y * style.Width + x];
                    double light = 1 - style.UnevenLight * x / Math.Max(1, style.Width - 1);
                    for (int c = 0; c < 3; c++)
                    {
                        double value = style.Transparent ? ink[c] : (paper[c] * (1 - a) + ink[c] * a) * light;
                        if (style.Noise > 0) value += style.Noise * Gaussian(random);
                        row[x * 4 + c] = (byte)Math.Clamp(Math.Round(value), 0, 255);
                    }
                    row[x * 4 + 3] = style.Transparent ? (byte)Math.Round(a * 255) : (byte)255;
                }
                rows.Add(row);
            }
            return EncodePng(style.Width, style.Height, 6, rows);
        }

        static double Gaussian(Random random) =>
            Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

        static byte[] Colour(string hex)
        {
            var s = hex.TrimStart('#');
            if (s.Length != 6) throw new ArgumentException($"'{hex}' is not a #rrggbb colour.");
            return [Convert.ToByte(s[..2], 16), Convert.ToByte(s[2..4], 16), Convert.ToByte(s[4..], 16)];
        }

        /// <summary>An 8-bit PNG (colour type 0 grey or 6 RGBA), through the xunit tests' own PNG writer.</summary>
        static byte[] EncodePng(int width, int height, byte colorType, IReadOnlyList<byte[]> rows) =>
            HandWrite.Tests.Imaging.PngWriter.Write(width, height, 8, colorType, rows);
    }
}
