import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import type { Prompter } from './ask-answers.ts';

/**
 * Questions on a terminal, one readline interface per question (so a secret
 * can use one whose echo goes nowhere). Plain lines: works on a serial console.
 */
export function terminalPrompter(terminal: { readonly input: NodeJS.ReadStream; readonly output: NodeJS.WriteStream }): Prompter {
  const ask = async (question: string, secret: boolean): Promise<string> => {
    let promptShown = false;
    const muted = new Writable({
      write(chunk: Buffer, _encoding, done): void {
        // The prompt itself is shown; what is typed (readline's echo) is not.
        if (!promptShown) {
          terminal.output.write(chunk);
          promptShown = chunk.toString().includes(question.slice(-3));
        }
        done();
      },
    });
    const rl = createInterface({ input: terminal.input, output: secret ? muted : terminal.output, terminal: terminal.input.isTTY === true });
    try {
      return await rl.question(question);
    } finally {
      rl.close();
      if (secret) terminal.output.write('\n');
    }
  };
  return {
    say: (text) => void terminal.output.write(text),
    ask: (question) => ask(question, false),
    askSecret: (question) => ask(question, true),
  };
}
