namespace HandWrite.Tests.Imaging;

/// <summary>Writes an animated greyscale GIF (Skia has no GIF encoder). LZW without compression: every
/// pixel is its own 9-bit code, with a clear code before the code table would grow to 10 bits.</summary>
internal static class GifWriter
{
    public static byte[] Animated(int width, int height, IReadOnlyList<byte[]> greyFrames)
    {
        var gif = new List<byte>();
        gif.AddRange("GIF89a"u8.ToArray());
        AddShort(gif, width); AddShort(gif, height);
        gif.AddRange(new byte[] { 0xF7, 0, 0 });                     // 256-entry global colour table
        for (int i = 0; i < 256; i++) gif.AddRange(new[] { (byte)i, (byte)i, (byte)i });
        gif.AddRange(new byte[] { 0x21, 0xFF, 11 });
        gif.AddRange("NETSCAPE2.0"u8.ToArray());
        gif.AddRange(new byte[] { 3, 1, 0, 0, 0 });                  // loop forever
        foreach (var frame in greyFrames)
        {
            gif.AddRange(new byte[] { 0x21, 0xF9, 4, 0x04, 50, 0, 0, 0 }); // graphic control: 0.5 s, keep frame
            gif.Add(0x2C);
            AddShort(gif, 0); AddShort(gif, 0); AddShort(gif, width); AddShort(gif, height);
            gif.Add(0);
            gif.Add(8);                                               // LZW minimum code size
            var codes = Lzw(frame);
            for (int i = 0; i < codes.Count; i += 255)
            {
                int n = Math.Min(255, codes.Count - i);
                gif.Add((byte)n);
                gif.AddRange(codes.Skip(i).Take(n));
            }
            gif.Add(0);
        }
        gif.Add(0x3B);
        return gif.ToArray();
    }

    private static List<byte> Lzw(byte[] pixels)
    {
        const int Clear = 256, End = 257, Width = 9;
        var output = new List<byte>();
        int buffer = 0, bits = 0;
        void Emit(int code)
        {
            buffer |= code << bits;
            bits += Width;
            while (bits >= 8) { output.Add((byte)buffer); buffer >>= 8; bits -= 8; }
        }
        for (int i = 0; i < pixels.Length; i++)
        {
            if (i % 254 == 0) Emit(Clear);
            Emit(pixels[i]);
        }
        Emit(End);
        if (bits > 0) output.Add((byte)buffer);
        return output;
    }

    private static void AddShort(List<byte> bytes, int value) { bytes.Add((byte)value); bytes.Add((byte)(value >> 8)); }
}
