import { Box, Text } from 'ink';
import type { FilterError } from '../filter/index.js';
import { fit, safe } from './layout.js';

export interface FilterBarProps {
  text: string;
  error: FilterError | null;
  width: number;
}

/**
 * The display filter being typed, checked on every key: the second line shows the error
 * with a caret under the column it concerns, or that the filter is good to apply.
 */
export function FilterBar({ text, error, width }: FilterBarProps) {
  if (error !== null) {
    const [line, caret] = error.pointer('/ ').split('\n');
    return (
      <Box flexDirection="column">
        <Text>{fit(safe(line) + '█', width)}</Text>
        <Text color="red">{fit(safe(caret), width)}</Text>
      </Box>
    );
  }
  return (
    <Box flexDirection="column">
      <Text>{fit(`/ ${safe(text)}█`, width)}</Text>
      <Text color="green">{fit(text.trim() === '' ? '  (empty: all packets) Enter apply · Esc cancel · ↑↓ history' : '  ✓ valid — Enter apply · Esc cancel · ↑↓ history', width)}</Text>
    </Box>
  );
}
