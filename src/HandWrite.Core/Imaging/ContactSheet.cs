namespace HandWrite.Core.Imaging;

/// <summary>Development aid: tiles 28x28 model inputs into one PNG so a person can see at a glance
/// whether preprocessing produces MNIST-like digits.</summary>
internal static class ContactSheet
{
    public static void Save(IReadOnlyList<float[]> images, string path, int columns = 20, int scale = 2)
    {
        const int Side = DigitImage.Side, Gap = 2;
        int rows = Math.Max(1, (images.Count + columns - 1) / columns);
        int cell = Side * scale + Gap;
        int width = columns * cell, height = rows * cell;
        var sheet = new float[width * height];
        for (int i = 0; i < sheet.Length; i++) sheet[i] = 0.25f; // grey gaps show each cell's edges
        for (int n = 0; n < images.Count; n++)
        {
            int ox = (n % columns) * cell, oy = (n / columns) * cell;
            for (int y = 0; y < Side * scale; y++)
                for (int x = 0; x < Side * scale; x++)
                    sheet[(oy + y) * width + ox + x] = images[n][(y / scale) * Side + x / scale];
        }
        GrayPng.Save(sheet, width, height, path);
    }
}
