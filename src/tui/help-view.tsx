import { Box, Text } from 'ink';
import { fit } from './layout.js';
import { HELP } from './keymap.js';

export function HelpView({ width, height }: { width: number; height: number }) {
  return (
    <Box flexDirection="column" height={height}>
      <Text bold>{fit('Keys (any key closes this help)', width)}</Text>
      {HELP.slice(0, Math.max(0, height - 1)).map(([k, what]) => (
        <Text key={k}>
          <Text color="cyan">{fit('  ' + k, 14)}</Text>
          {fit(what, width - 14)}
        </Text>
      ))}
    </Box>
  );
}
