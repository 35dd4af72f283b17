using System.Globalization;
using System.Text;

namespace Hearth.Kdl.Bench;

/// <summary>
/// Builds a realistic KDL document of about the requested size: nested nodes, every string form, numbers, comments.
/// </summary>
internal static class DocumentGenerator
{
    public static string Generate(int targetChars, int seed)
    {
        var random = new Random(seed);
        var sb = new StringBuilder(targetChars + 1024);
        int n = 0;
        while (sb.Length < targetChars)
        {
            n++;
            sb.Append("// workflow ").Append(n).Append('\n');
            sb.Append("chain-")
                .Append(n)
                .Append(" id=")
                .Append(n)
                .Append(" enabled=#true ratio=")
                .Append((random.NextDouble() * 100).ToString("0.000", CultureInfo.InvariantCulture))
                .Append(" {\n");
            sb.Append("    machine \"linux-").Append(random.Next(10)).Append("\"\n");
            for (int f = 0; f < 5; f++)
            {
                sb.Append("    fragment name=step-")
                    .Append(f)
                    .Append(" timeout=0x")
                    .Append(random.Next(0x1000, 0xFFFF).ToString("x", CultureInfo.InvariantCulture))
                    .Append(" {\n");
                if (f % 2 == 0)
                {
                    sb.Append(
                        "        run \"\"\"\n            npm ci --prefer-offline\n            npm run build -- --mode=\\\"prod\\\"\n            \"\"\"\n"
                    );
                }
                else
                {
                    sb.Append("        run #\"make test ARGS=\"-v\" \\path\"#; machine gpu /* inline */ \n");
                }

                sb.Append(
                    "        env TOKEN=(secret)\"abc\\tdef\\u{1F600}\" LEVEL=1_000 SCALE=1.5e-3 /-DISABLED=#null\n"
                );
                sb.Append("    }\n");
            }

            sb.Append("    parallel { a 1 2 3; b \"x\" \"y\"; ノード お名前=ฅ^•ﻌ•^ฅ }\n");
            sb.Append("}\n");
        }

        return sb.ToString();
    }
}
