export async function main(argv: string[]): Promise<number> {
  process.stdout.write(`sgfw ${argv.join(' ')}\n`);
  return 0;
}
